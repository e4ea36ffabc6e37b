"""Image config -> the runtime spec's process: what docker and runc make of an image.

    args   Entrypoint + Cmd (an overridden entrypoint drops the image's Cmd)
    env    the image's Env, then the caller's; PATH and HOME filled in if missing
    cwd    WorkingDir, or /
    user   User resolved like runc's GetExecUser: "name", "uid", "name:group",
           "uid:gid" against the image's /etc/passwd and /etc/group; a numeric id
           absent from the files is taken as is, a name absent is an error; a user
           given without a group also gets the supplementary groups that list it
Kept for the engine: ExposedPorts, Volumes, StopSignal, Healthcheck, Labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from teu.image.errors import ImageError
from teu.image.rootfs import LayeredFS

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass
class ProcessSpec:
    args: list[str]
    env: list[str]
    cwd: str
    uid: int
    gid: int
    additional_gids: list[int] = field(default_factory=list)
    user_name: str | None = None
    exposed_ports: dict[str, dict] = field(default_factory=dict)
    volumes: list[str] = field(default_factory=list)
    stop_signal: str | None = None
    healthcheck: dict[str, Any] | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def to_runtime(self) -> dict[str, Any]:
        """The OCI runtime spec's `process` members this decides."""
        user: dict[str, Any] = {"uid": self.uid, "gid": self.gid}
        if self.additional_gids:
            user["additionalGids"] = list(self.additional_gids)
        return {"args": list(self.args), "env": list(self.env), "cwd": self.cwd, "user": user}


@dataclass
class _PasswdEntry:
    name: str
    uid: int
    gid: int
    home: str


def _passwd(fs: LayeredFS) -> list[_PasswdEntry]:
    data = fs.read("/etc/passwd") or b""
    out = []
    for line in data.decode("utf-8", "replace").splitlines():
        parts = line.split(":")
        if len(parts) < 7 or line.startswith("#"):
            continue
        try:
            out.append(_PasswdEntry(parts[0], int(parts[2]), int(parts[3]), parts[5]))
        except ValueError:
            continue
    return out


def _groups(fs: LayeredFS) -> list[tuple[str, int, list[str]]]:
    data = fs.read("/etc/group") or b""
    out = []
    for line in data.decode("utf-8", "replace").splitlines():
        parts = line.split(":")
        if len(parts) < 4 or line.startswith("#"):
            continue
        try:
            out.append((parts[0], int(parts[2]), [m for m in parts[3].split(",") if m]))
        except ValueError:
            continue
    return out


def resolve_user(spec: str, fs: LayeredFS) -> tuple[int, int, list[int], _PasswdEntry | None]:
    """(uid, gid, additional gids, passwd entry) for a USER value."""
    user_part, sep, group_part = (spec or "").partition(":")
    users = _passwd(fs)
    entry: _PasswdEntry | None = None
    if user_part == "":
        entry = next((u for u in users if u.uid == 0), None)
        uid, gid = 0, 0
    elif user_part.isdigit():
        uid = int(user_part)
        entry = next((u for u in users if u.uid == uid), None)
        gid = entry.gid if entry else 0
    else:
        entry = next((u for u in users if u.name == user_part), None)
        if entry is None:
            raise ImageError(f"unable to find user {user_part}: no matching entries in "
                             "passwd file")
        uid, gid = entry.uid, entry.gid
    extra: list[int] = []
    groups = _groups(fs)
    if sep:
        if group_part.isdigit():
            gid = int(group_part)
        else:
            g = next((g for g in groups if g[0] == group_part), None)
            if g is None:
                raise ImageError(f"unable to find group {group_part}: no matching entries in "
                                 "group file")
            gid = g[1]
    elif entry is not None:
        extra = [g[1] for g in groups if entry.name in g[2] and g[1] != gid]
    return uid, gid, extra, entry


def process_spec(image_config: dict[str, Any], layers: list[str], *,
                 args: list[str] | None = None, entrypoint: list[str] | None = None,
                 env: list[str] | None = None, user: str | None = None,
                 workdir: str | None = None) -> ProcessSpec:
    """The process for a container of this image; the keyword arguments are the
    caller's overrides (docker run's command, --entrypoint, -e, -u, -w)."""
    cfg = image_config.get("config") or {}
    ep = entrypoint if entrypoint is not None else (cfg.get("Entrypoint") or [])
    if entrypoint is not None:
        cmd = args or []
    else:
        cmd = args if args else (cfg.get("Cmd") or [])
    argv = list(ep) + list(cmd)
    if not argv:
        raise ImageError("no command specified (the image has no Entrypoint or Cmd)")
    fs = LayeredFS(layers)
    uid, gid, extra, entry = resolve_user(user if user is not None else cfg.get("User") or "",
                                          fs)
    merged: dict[str, str] = {}
    for item in list(cfg.get("Env") or []) + list(env or []):
        key, _, value = item.partition("=")
        merged[key] = value
    merged.setdefault("PATH", DEFAULT_PATH)
    merged.setdefault("HOME", entry.home if entry and entry.home else "/")
    cwd = workdir or cfg.get("WorkingDir") or "/"
    if not cwd.startswith("/"):
        cwd = "/" + cwd
    return ProcessSpec(
        args=argv, env=[f"{k}={v}" for k, v in merged.items()], cwd=cwd, uid=uid, gid=gid,
        additional_gids=extra, user_name=entry.name if entry else None,
        exposed_ports=dict(cfg.get("ExposedPorts") or {}),
        volumes=sorted(cfg.get("Volumes") or {}), stop_signal=cfg.get("StopSignal"),
        healthcheck=cfg.get("Healthcheck"), labels=dict(cfg.get("Labels") or {}))
