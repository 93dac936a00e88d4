"""Search's reference data, shipped with the service (read with importlib.resources)."""
