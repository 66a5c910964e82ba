"""Stage 2, OpenAPI: an index of each description (operations, parameters, servers, security) and its cache."""
