"""Stage 4, the engine: runs a plan: the workflow state machine, request building, security, sending, redaction."""
