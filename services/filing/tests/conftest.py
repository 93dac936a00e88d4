"""Lets the filing tests import the shared helpers beside this file, such as pdf_samples."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
