"""Distribution: the registry server (`teu.registry.server`) and, later, the client."""
