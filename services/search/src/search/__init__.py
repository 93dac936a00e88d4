"""The search service: read models fed only by events."""
