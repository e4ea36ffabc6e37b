"""teu.kube's errors: a bad manifest or a play that cannot be done (exit 125)."""

from __future__ import annotations

from teu.errors import TeuError


class KubeError(TeuError):
    exit_code = 125
