"""docker's default seccomp profile, turned into the runtime spec's linux.seccomp.

The profile (seccomp_default.json, vendored from containers/common under
Apache-2.0; see seccomp_default.NOTICE) is in moby's format: rules may apply only
on some architectures or only when the container has (or lacks) a capability.
`to_oci` does what moby's setupSeccomp does: keep the rules for this machine
and this capability set, and list the native architecture with its
sub-architectures (x86_64 also takes x86 and x32 calls).
"""

from __future__ import annotations

import os

from teu import fastjson
from teu.engine.errors import InvalidArgument

# uname machine -> (Go's GOARCH as the profile names it, libseccomp's native arch)
ARCHES = {"x86_64": ("amd64", "SCMP_ARCH_X86_64"), "aarch64": ("arm64", "SCMP_ARCH_AARCH64"),
          "s390x": ("s390x", "SCMP_ARCH_S390X"), "ppc64le": ("ppc64le", "SCMP_ARCH_PPC64LE"),
          "riscv64": ("riscv64", "SCMP_ARCH_RISCV64")}

_DEFAULT = os.path.join(os.path.dirname(__file__), "seccomp_default.json")


def load(path: str | None = None) -> dict:
    """The default profile, or a user's profile (`--security-opt seccomp=FILE`)."""
    try:
        with open(path or _DEFAULT, "rb") as f:
            profile = fastjson.loads(f.read())
    except OSError as e:
        raise InvalidArgument(f"opening seccomp profile ({path}) failed: {e.strerror}") from None
    except ValueError as e:
        raise InvalidArgument(f"decoding seccomp profile failed: {e}") from None
    if not isinstance(profile, dict):
        raise InvalidArgument(f"decoding seccomp profile failed: {path}: not a JSON object")
    return profile


def to_oci(profile: dict, caps: list[str], machine: str | None = None) -> dict:
    """The spec's linux.seccomp for a container whose bounding set is `caps`."""
    goarch, native = ARCHES.get(machine or os.uname().machine, ("", ""))
    if "architectures" in profile or "defaultAction" not in profile:
        return profile  # already in the spec's format (or the runtime will say what is wrong)
    out: dict = {"defaultAction": profile["defaultAction"]}
    if profile.get("defaultErrnoRet") is not None:
        out["defaultErrnoRet"] = profile["defaultErrnoRet"]
    arches: list[str] = []
    for entry in profile.get("archMap") or []:
        if entry.get("architecture") == native:
            arches = [native, *(a for a in entry.get("subArchitectures") or []
                                if kernel_runs(a))]
    if arches:
        out["architectures"] = arches
    have = set(caps)
    syscalls = []
    for rule in profile.get("syscalls") or []:
        if not _applies(rule, goarch, have):
            continue
        names = list(rule.get("names") or [])
        if rule.get("name"):
            names.append(rule["name"])
        entry = {"names": names, "action": rule["action"]}
        if rule.get("args"):
            entry["args"] = rule["args"]
        if rule.get("errnoRet") is not None:
            entry["errnoRet"] = rule["errnoRet"]
        syscalls.append(entry)
    out["syscalls"] = syscalls
    for key in ("flags", "listenerPath", "listenerMetadata"):
        if profile.get(key):
            out[key] = profile[key]
    return out


_X32_GETPID = 0x40000000 | 39


def kernel_runs(arch: str) -> bool:
    """Whether this kernel can run a sub-architecture's system calls at all.

    A filter that also lists an ABI the kernel lacks guards nothing (the kernel answers
    ENOSYS to those calls anyway) but costs the runtime dearly: libseccomp's x32 rules
    triple the BPF it generates (~6 ms per container start here). x32 is probed with
    one x32 getpid; ia32 is assumed where it exists on x86_64 kernels."""
    if arch != "SCMP_ARCH_X32":
        return True
    global _x32
    if _x32 is None:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        _x32 = libc.syscall(ctypes.c_long(_X32_GETPID)) >= 0
    return _x32


_x32: bool | None = None


def _applies(rule: dict, goarch: str, caps: set[str]) -> bool:
    inc = rule.get("includes") or {}
    exc = rule.get("excludes") or {}
    if exc.get("arches") and goarch in exc["arches"]:
        return False
    if inc.get("arches") and goarch not in inc["arches"]:
        return False
    if exc.get("caps") and any(c in caps for c in exc["caps"]):
        return False
    if inc.get("caps") and not all(c in caps for c in inc["caps"]):
        return False
    kernel = inc.get("minKernel")
    return not kernel or _kernel_at_least(kernel)


def _kernel_at_least(version: str) -> bool:
    def nums(text: str) -> tuple[int, ...]:
        out = []
        for part in text.split("-")[0].split(".")[:2]:
            digits = "".join(ch for ch in part if ch.isdigit())
            out.append(int(digits or 0))
        return tuple(out)

    return nums(os.uname().release) >= nums(version)
