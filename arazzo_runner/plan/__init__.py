"""Stage 3, the plan: the frozen compiled model the compiler builds and the engine only reads."""
