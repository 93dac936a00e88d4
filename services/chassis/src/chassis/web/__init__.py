"""Flask conventions every service follows: problem+json errors, request ids, health, metrics."""
