"""Tools for writing Arazzo documents: ``generate`` (a starting point from an OpenAPI description) and
``graph`` (a flowchart of a workflow). Import the submodules directly; this package imports nothing."""
