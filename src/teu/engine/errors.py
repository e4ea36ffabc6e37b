"""The engine's errors: all are teu's own failures, so docker's exit code 125."""

from __future__ import annotations

from teu import errors as _shared
from teu.errors import TeuError


class EngineError(TeuError):
    exit_code = 125


class NotFound(EngineError, _shared.NotFound):
    """No such container (or volume)."""


class Conflict(EngineError, _shared.Conflict):
    """A name in use, a running container removed without force, ..."""


class InvalidArgument(EngineError, _shared.InvalidArgument):
    """A flag's value is malformed or out of range."""


class CommandError(TeuError):
    """The container's command cannot run: 126 (cannot invoke) or 127 (not found)."""
