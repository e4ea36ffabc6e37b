"""`--user` (and the image's User) -> uid, gid and supplementary groups, read from the
container's own /etc/passwd and /etc/group, as runc's user.GetExecUser does.

Paths are resolved inside the mounted root (teu.runtime.rootfs.resolve_in_root):
an image's /etc may be a symlink and must not lead to the host's files.
"""

from __future__ import annotations

from teu.engine.errors import EngineError


class UserError(EngineError):
    pass


def _read(rootfs: str, path: str) -> list[list[str]]:
    from teu.runtime.rootfs import resolve_in_root

    try:
        with open(resolve_in_root(rootfs, path), encoding="utf-8", errors="replace") as f:
            return [line.rstrip("\n").split(":") for line in f if line.strip()
                    and not line.startswith("#")]
    except OSError:
        return []


def resolve(rootfs: str, spec: str) -> tuple[int, int, list[int], str]:
    """(uid, gid, additional gids, home) for `user[:group]` (names or numbers).

    As docker: the additional gids are the primary group, plus (for a user given
    without a group) every group of /etc/group that lists the user."""
    user, _, group = (spec or "0").partition(":")
    passwd = _read(rootfs, "/etc/passwd")
    uid = gid = 0
    home = "/"
    name = None
    entry = None
    for fields in passwd:
        if len(fields) < 7:
            continue
        if fields[0] == user or (user.isdigit() and fields[2] == user):
            entry = fields
            break
    if entry is not None:
        name, uid, gid, home = entry[0], int(entry[2]), int(entry[3]), entry[5] or "/"
    elif user.isdigit():
        uid = int(user)
    else:
        raise UserError(f"unable to find user {user}: no matching entries in passwd file")
    groups = _read(rootfs, "/etc/group")
    if group:
        for fields in groups:
            if len(fields) >= 3 and (fields[0] == group or (group.isdigit()
                                                            and fields[2] == group)):
                gid = int(fields[2])
                break
        else:
            if not group.isdigit():
                raise UserError(f"unable to find group {group}: no matching entries in "
                                "group file")
            gid = int(group)
    extra: list[int] = [gid]  # docker lists the primary group among the supplementary ones
    if name is not None and not group:
        for fields in groups:
            if len(fields) >= 4 and name in fields[3].split(",") and fields[2].isdigit():
                g = int(fields[2])
                if g != gid and g not in extra:
                    extra.append(g)
    return uid, gid, extra, home


def group_ids(rootfs: str, groups: list[str]) -> list[int]:
    """--group-add: names from the container's /etc/group, numbers as they are."""
    table = _read(rootfs, "/etc/group")
    out = []
    for g in groups:
        found = next((int(f[2]) for f in table if len(f) >= 3 and f[0] == g
                      and f[2].isdigit()), None)
        if found is None:
            if not g.isdigit():
                raise UserError(f"Unable to find group {g}: no matching entries in group file")
            found = int(g)
        if found not in out:
            out.append(found)
    return out
