"""``icms-identity migrate|worker``."""

from __future__ import annotations

from chassis.service import command_line
from identity.bootstrap import bootstrap


def main() -> None:
    command_line(bootstrap)
