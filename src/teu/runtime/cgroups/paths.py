"""Where a container's cgroup lives: the rules for config.json's linux.cgroupsPath.

- "/a/b"  is relative to the root of each hierarchy (runc and crun agree).
- "a/b"   is relative to the runtime's own cgroup in that hierarchy (runc's
          rule; under v1 the own cgroup may differ per controller).
- ""      means the default, /teu/<container id>.
- "slice:prefix:name" is the systemd driver's form; it needs --systemd-cgroup,
          which needs systemd as init.

A path may not climb out with "..", and may not name the base itself: destroy()
removes the container's cgroup, so it must never be the root or our own.
"""

from __future__ import annotations

import os

from .fs import CgroupError

DEFAULT_PARENT = "/teu"


def inner_path(cgroups_path: str, container_id: str, systemd: bool = False) -> str:
    """The normalized cgroupsPath: absolute ("/x/y") or relative ("x/y") to the own cgroup."""
    if systemd:
        raise CgroupError(_systemd_message(cgroups_path))
    if is_systemd_form(cgroups_path):
        raise CgroupError(f'cgroup: cgroupsPath "{cgroups_path}" is in the systemd form '
                          '(slice:prefix:name), which needs --systemd-cgroup')
    path = cgroups_path or f"{DEFAULT_PARENT}/{container_id}"
    if "\0" in path or "\n" in path:
        raise CgroupError(f"cgroup: cgroupsPath {path!r} has a NUL or newline")
    if ".." in path.split("/"):
        raise CgroupError(f'cgroup: cgroupsPath "{path}" may not contain ".."')
    absolute = path.startswith("/")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts:
        raise CgroupError(f'cgroup: cgroupsPath "{path}" names the base cgroup itself; '
                          "a container needs a cgroup of its own")
    joined = "/".join(parts)
    return "/" + joined if absolute else joined


def join(base: str, inner: str) -> str:
    """inner (from inner_path) resolved against `base`, the own cgroup ("/" for absolute)."""
    if inner.startswith("/"):
        return inner
    return os.path.normpath(os.path.join("/", base.lstrip("/"), inner))


def is_systemd_form(cgroups_path: str) -> bool:
    """True for "slice:prefix:name" (three fields, no slash), the systemd driver's syntax."""
    fields = cgroups_path.split(":")
    return len(fields) == 3 and "/" not in cgroups_path


def systemd_running() -> bool:
    """sd_booted(3)'s test: systemd creates this directory when it is init."""
    return os.path.isdir("/run/systemd/system")


def expand_slice(slice_name: str) -> str:
    """systemd's slice nesting: "a-b-c.slice" lives at /a.slice/a-b.slice/a-b-c.slice."""
    if slice_name in ("", "-.slice"):
        return "/"
    if not slice_name.endswith(".slice") or "/" in slice_name:
        raise CgroupError(f'cgroup: "{slice_name}" is not a systemd slice name')
    stem = slice_name[: -len(".slice")]
    if not stem or stem.startswith("-") or stem.endswith("-") or "--" in stem:
        raise CgroupError(f'cgroup: "{slice_name}" is not a valid systemd slice name')
    words = stem.split("-")
    return "/" + "/".join("-".join(words[: i + 1]) + ".slice" for i in range(len(words)))


def systemd_path(cgroups_path: str, container_id: str) -> str:
    """The cgroupfs path systemd would give "slice:prefix:name" (for messages and a future driver)."""
    if not is_systemd_form(cgroups_path):
        raise CgroupError(f'cgroup: "{cgroups_path}" is not in the form slice:prefix:name')
    slice_name, prefix, name = cgroups_path.split(":")
    name = name or container_id
    unit = name if name.endswith(".slice") else f"{prefix}-{name}.scope" if prefix else f"{name}.scope"
    return os.path.join(expand_slice(slice_name or "system.slice"), unit)


def _systemd_message(cgroups_path: str) -> str:
    if not systemd_running():
        return ("cgroup: --systemd-cgroup needs systemd as init, and this host has none "
                "(no /run/systemd/system); drop --systemd-cgroup to use cgroupfs")
    # systemd is there, but teu has no D-Bus client to ask it for a scope.
    return ("cgroup: the systemd cgroup driver is not implemented in teu; "
            f'drop --systemd-cgroup (cgroupsPath "{cgroups_path}")')
