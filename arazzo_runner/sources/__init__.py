"""Stage 1, sources: reading documents by URL and parsing YAML/JSON text with positions."""
