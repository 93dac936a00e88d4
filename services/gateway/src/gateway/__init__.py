"""The gateway: the one public door, routing ``/api/<service>/...`` to the service that owns it."""
