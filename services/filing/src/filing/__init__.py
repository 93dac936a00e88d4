"""The filing service: cases, filings, documents, the registry and what the court issues."""
