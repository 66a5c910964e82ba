"""AsyncAPI 2.6/3.0 sources, the plan of async steps, and the protocol bindings that run them."""
