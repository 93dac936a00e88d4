"""Reliable events: CloudEvents envelopes, schemas, the outbox and its relay, the inbox and consumer."""
