"""docker-py's high-level shapes: a Collection per kind of object (containers, images,
volumes) that makes and finds Models, each Model holding `attrs` (inspect's object)."""
