"""Stage 3, compile: the loader reads a document and its sources; the compiler turns them into a plan."""
