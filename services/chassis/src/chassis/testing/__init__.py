"""Test support: a pytest plugin with real infrastructure fixtures (see ``fixtures``)."""
