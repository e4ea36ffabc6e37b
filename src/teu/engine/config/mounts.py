"""`--mount type=bind|volume|tmpfs,source=...,target=...` -> docker's mount.Mount.

Unlike -v, a bind source must exist (docker: `invalid mount config for type "bind":
bind source path does not exist`); the options are docker's:

    bind      readonly, bind-propagation, bind-nonrecursive
    volume    readonly, volume-nocopy, volume-driver=local
    tmpfs     tmpfs-size, tmpfs-mode
"""

from __future__ import annotations

import os

from teu.engine.config import units
from teu.engine.errors import InvalidArgument

PROPAGATIONS = ("private", "rprivate", "shared", "rshared", "slave", "rslave")
_TRUE = ("", "1", "true", "yes")
_FALSE = ("0", "false", "no")


def _bool(key: str, value: str, spec: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise InvalidArgument(f"invalid argument \"{spec}\" for \"--mount\" flag: invalid value "
                          f"for {key}: {value}")


def parse(spec: str) -> dict:
    fields: dict[str, str] = {}
    for part in spec.split(","):
        key, eq, value = part.partition("=")
        key = key.strip().lower()
        if not key:
            continue
        if not eq and key not in ("readonly", "ro", "volume-nocopy", "bind-nonrecursive"):
            raise InvalidArgument(f"invalid argument \"{spec}\" for \"--mount\" flag: "
                                  f"invalid field '{part}' must be a key=value pair")
        fields[key] = value
    kind = fields.pop("type", "volume")
    source = next((fields.pop(k) for k in ("source", "src") if k in fields), "")
    target = next((fields.pop(k) for k in ("target", "destination", "dst") if k in fields), "")
    readonly = False
    for k in ("readonly", "ro"):
        if k in fields:
            readonly = _bool(k, fields.pop(k), spec)
    fields.pop("consistency", None)
    if not target:
        raise InvalidArgument("invalid mount config: Target must not be empty"
                              if kind in ("bind", "volume", "tmpfs")
                              else f"invalid mount config: mount type unknown: {kind!r}")
    if not target.startswith("/") or os.path.normpath(target) == "/":
        raise InvalidArgument(f"invalid mount config for type \"{kind}\": invalid mount path: "
                              f"'{target}' mount path must be absolute and not /")
    out: dict = {"Type": kind, "Source": source, "Target": os.path.normpath(target),
                 "ReadOnly": readonly}
    if kind == "bind":
        propagation = fields.pop("bind-propagation", "rprivate")
        if propagation not in PROPAGATIONS:
            raise InvalidArgument(f"invalid mount config: invalid propagation {propagation!r}")
        recursive = not _bool("bind-nonrecursive", fields.pop("bind-nonrecursive", "false"),
                              spec)
        if not source:
            raise InvalidArgument('invalid mount config for type "bind": field Source must '
                                  "not be empty")
        source = os.path.abspath(source)
        if not os.path.exists(source):
            raise InvalidArgument('invalid mount config for type "bind": bind source path '
                                  f"does not exist: {source}")
        out["Source"] = source
        out["BindOptions"] = {"Propagation": propagation,
                              **({} if recursive else {"NonRecursive": True})}
    elif kind == "volume":
        nocopy = _bool("volume-nocopy", fields.pop("volume-nocopy", "false"), spec) \
            if "volume-nocopy" in fields else False
        driver = fields.pop("volume-driver", "local")
        if driver != "local":
            raise InvalidArgument(f"volume driver {driver!r}: only the local driver exists")
        if source:
            from teu.engine.storage.volumes import check_volume_name

            check_volume_name(source)
        out["VolumeOptions"] = {"NoCopy": nocopy}
    elif kind == "tmpfs":
        if source:
            raise InvalidArgument('invalid mount config for type "tmpfs": source is not '
                                  "allowed")
        opts: dict = {}
        if "tmpfs-size" in fields:
            opts["SizeBytes"] = units.size(fields.pop("tmpfs-size"), "--mount tmpfs-size")
        if "tmpfs-mode" in fields:
            mode = fields.pop("tmpfs-mode")
            try:
                opts["Mode"] = int(mode, 8)
            except ValueError:
                raise InvalidArgument(f"invalid mount config: tmpfs-mode {mode!r} is not an "
                                      "octal mode") from None
        out["TmpfsOptions"] = opts
    else:
        raise InvalidArgument(f"invalid mount config: mount type unknown: {kind!r} (bind, "
                              "volume or tmpfs)")
    if fields:
        raise InvalidArgument(f"invalid argument \"{spec}\" for \"--mount\" flag: unexpected "
                              f"key '{sorted(fields)[0]}' in '{spec}'")
    return out
