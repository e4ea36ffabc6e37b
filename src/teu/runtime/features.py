"""What teu-runtime supports, in the runtime spec's features document (features.md)."""

from __future__ import annotations

from teu import __version__
from teu.oci.runtime_config import HOOK_KINDS, NAMESPACE_TYPES
from teu.runtime import capabilities
from teu.runtime.mount_options import _EXTENSIONS, _FLAGS, PROPAGATION


def features() -> dict:
    from teu.runtime import seccomp

    known = capabilities.last_cap()
    return {
        "ociVersionMin": "1.0.0",
        "ociVersionMax": "1.3.0",
        "hooks": list(HOOK_KINDS),
        "mountOptions": sorted(set(_FLAGS) | set(PROPAGATION) | _EXTENSIONS),
        "linux": {
            "namespaces": list(NAMESPACE_TYPES),
            "capabilities": list(capabilities.NAMES[:known + 1]),
            "cgroup": {"v1": True, "v2": True, "systemd": False, "systemdUser": False,
                       "rdma": False},
            "seccomp": seccomp.features(),
            "apparmor": {"enabled": True},  # applied when the host has it, else refused
            "selinux": {"enabled": False},
            "intelRdt": {"enabled": False},
            "mountExtensions": {"idmap": {"enabled": False}},
        },
        "annotations": {
            "org.opencontainers.runtime-spec.features": "1.2.0",
            "io.github.teu.version": __version__,
            "io.github.seccomp.libseccomp.version": seccomp.libseccomp_version() or "",
        },
    }
