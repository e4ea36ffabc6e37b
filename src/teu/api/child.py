"""teu.api's forked engine calls: the piece lives in the engine (teu.engine.forked),
shared with teu.dockerapi."""

from teu.engine.forked import Child, in_child

__all__ = ["Child", "in_child"]
