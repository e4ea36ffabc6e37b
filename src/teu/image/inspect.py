"""What `image inspect`, `images` and `history` show, in docker's shapes."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from teu.image import reference as R
from teu.image.db import ImageRow
from teu.image.store import Store
from teu.image.timefmt import human_duration

# docker fills these in every image's Config, whatever the image says.
_DOCKER_CONFIG_DEFAULTS: dict[str, Any] = {
    "Hostname": "", "Domainname": "", "User": "", "AttachStdin": False, "AttachStdout": False,
    "AttachStderr": False, "Tty": False, "OpenStdin": False, "StdinOnce": False, "Env": None,
    "Cmd": None, "Image": "", "Volumes": None, "WorkingDir": "", "Entrypoint": None,
    "OnBuild": None, "Labels": None,
}


def parse_time(text: str | None) -> float | None:
    """RFC 3339 with up to nanoseconds (Go writes 9 digits) -> epoch seconds."""
    if not text:
        return None
    t = text.strip()
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    if "." in t:
        head, _, rest = t.partition(".")
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        t = f"{head}.{digits[:6]}{rest}" if digits else head + rest
    try:
        dt = datetime.fromisoformat(t)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def since(text: str | None, now: float | None = None) -> str:
    t = parse_time(text)
    if t is None:
        return "N/A"
    return human_duration((now or time.time()) - t) + " ago"


def familiar(name: str) -> str:
    try:
        return R.parse(name, default_tag=False).familiar()
    except R.ReferenceError:
        return name


def inspect(store: Store, row: ImageRow) -> dict[str, Any]:
    """docker image inspect's JSON for one image."""
    import json

    config = json.loads(store.blobs.read(row.id))
    cc = dict(_DOCKER_CONFIG_DEFAULTS)
    cc.update(config.get("config") or {})
    layers = store.db.layers_of(row.id)
    dirs = [store.layers.path(lr.chain_id) for lr in layers]
    manifest_size = store.blobs.size(row.manifest) or 0
    out: dict[str, Any] = {
        "Id": row.id,
        "RepoTags": [familiar(t) for t in row.tags],
        "RepoDigests": [familiar(d) for d in row.digests],
        "Parent": "",
        "Comment": _comment(config),
        "Created": config.get("created") or "",
        "DockerVersion": config.get("docker_version", ""),
        "Author": config.get("author", ""),
        "Config": cc,
        "Architecture": config.get("architecture", ""),
    }
    if config.get("variant"):
        out["Variant"] = config["variant"]
    out.update({
        "Os": config.get("os", ""),
        "Size": row.size,
        "GraphDriver": {"Name": "overlay", "Data": {
            "LowerDir": ":".join(reversed(dirs)) if dirs else ""}},
        "RootFS": {"Type": "layers", "Layers": [lr.diff_id for lr in layers]},
        "Metadata": {"LastTagTime": "0001-01-01T00:00:00Z"},
        "Descriptor": {"mediaType": row.media_type, "digest": row.manifest,
                       "size": manifest_size},
    })
    return out


def _comment(config: dict) -> str:
    hist = config.get("history") or []
    return (hist[-1].get("comment") or "") if hist else ""


def history(store: Store, row: ImageRow) -> list[dict[str, Any]]:
    """docker history rows, newest first: Id (or <missing>), Created, CreatedBy, Size,
    Comment, Tags."""
    import json

    config = json.loads(store.blobs.read(row.id))
    layers = store.db.layers_of(row.id)
    hist = config.get("history") or []
    if not hist:
        hist = [{"created": config.get("created"), "created_by": ""} for _ in layers]
    rows = []
    li = 0
    for h in hist:
        size = 0
        if not h.get("empty_layer"):
            if li < len(layers):
                size = layers[li].size
            li += 1
        rows.append({"Id": "<missing>", "Created": h.get("created") or "",
                     "CreatedBy": h.get("created_by") or "", "Size": size,
                     "Comment": h.get("comment") or "", "Tags": []})
    rows.reverse()
    if rows:
        rows[0]["Id"] = row.id
        rows[0]["Tags"] = [familiar(t) for t in row.tags]
    return rows
