"""The identity service: who may do what."""
