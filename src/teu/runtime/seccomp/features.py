"""The seccomp part of `teu-runtime features`: what libseccomp and the kernel support."""

from __future__ import annotations

import ctypes

from teu.runtime.seccomp.filter import (
    _flag_works,
    _libseccomp,
)
from teu.runtime.seccomp.profile import (
    _ACT_ALLOW,
    _EPERM,
    _ERRNO_RET_LIMIT,
    ACTIONS,
    ARCHES,
    FLAGS,
    OPERATORS,
    SeccompError,
)


def _supported_actions(lib: ctypes.CDLL) -> list[str]:
    names = []
    for name, base in sorted(ACTIONS.items()):
        ctx = lib.seccomp_init(base | (_EPERM if name in _ERRNO_RET_LIMIT else 0))
        if ctx:
            lib.seccomp_release(ctx)
            names.append(name)
    return names


def _supported_flags(lib: ctypes.CDLL) -> list[str]:
    ctx = lib.seccomp_init(_ACT_ALLOW)
    if not ctx:
        return []
    try:
        return [flag for flag in FLAGS if _flag_works(lib, ctx, flag)]
    finally:
        lib.seccomp_release(ctx)


def features() -> dict:
    """The `linux.seccomp` part of `runc features`, for this libseccomp and kernel."""
    try:
        lib = _libseccomp()
    except SeccompError:
        return {"enabled": False}
    return {
        "enabled": True,
        "actions": _supported_actions(lib),
        "operators": sorted(OPERATORS),
        "archs": sorted(a for a, n in ARCHES.items() if lib.seccomp_arch_resolve_name(n.encode())),
        "knownFlags": list(FLAGS),
        "supportedFlags": _supported_flags(lib),
    }
