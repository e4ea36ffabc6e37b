"""The network layer's errors: all are teu's own failures, so docker's exit code 125."""

from __future__ import annotations

from teu import errors
from teu.errors import TeuError


class NetworkError(TeuError):
    exit_code = 125


class NetworkNotFound(NetworkError, errors.NotFound):
    """No network of that name or ID (docker: "network X not found")."""


class PluginError(NetworkError):
    """A CNI plugin failed, or could not be found or run."""
