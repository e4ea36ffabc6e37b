"""Container events into the store's journal (teu.journal), with docker's attributes:
the container's labels, its image as asked for, its name, and the action's own (exitCode
for die, signal for kill, oldName for rename). Called by the operations themselves, so
`teu`, conmon's exit command and the Engine API service report the same events."""

from __future__ import annotations

from teu import journal
from teu.engine.context import Engine
from teu.engine.db import Row


def container(engine: Engine, row: Row, action: str, **extra: str) -> None:
    config = row.settings.get("Config") or {}
    attributes = {str(k): str(v) for k, v in (config.get("Labels") or {}).items()}
    attributes["image"] = config.get("Image") or row["image"]
    attributes["name"] = row["name"]
    attributes.update(extra)
    journal.append(engine.paths.root, "container", action, row["id"], attributes)


# hashlib.sha256(name).hexdigest() of the predefined networks: their IDs in teu's API
_PREDEFINED = {
    "none": ("140bedbf9c3f6d56a9846d2ba7088798683f4da0c248231336e6a05679e4fdfe", "null"),
    "host": ("4740ae6347b0172c01254ff55bae5aff5199f4446e7f6d643d40185b3f475145", "host")}


def networks(engine: Engine, row: Row, action: str) -> None:
    """connect (at a start) or disconnect (at an exit) for each network of the container,
    the predefined none and host too, as dockerd reports them."""
    host = row.settings["HostConfig"]
    mode = host.get("NetworkMode") or "none"
    if mode.startswith("container:"):
        return
    if mode in _PREDEFINED:
        nid, kind = _PREDEFINED[mode]
        named = [(mode, nid, kind)]
    else:
        from teu.network.attach import attached_networks
        from teu.network.errors import NetworkError
        from teu.network.store import Store

        store = Store(engine.paths.root)
        named = []
        for name, _ in attached_networks(row.settings):
            try:
                net = store.get(name)
            except NetworkError:
                continue
            named.append((net.name, net.id, net.driver))
    for name, nid, kind in named:
        journal.append(engine.paths.root, "network", action, nid,
                       {"container": row["id"], "name": name, "type": kind})


def volumes(engine: Engine, row: Row, action: str) -> None:
    """mount (at a start) or unmount (at an exit) for each volume the container mounts."""
    for m in row.settings.get("Mounts") or []:
        if m.get("Type") != "volume":
            continue
        if action == "mount":
            attributes = {"container": row["id"], "destination": m["Destination"],
                          "driver": m.get("Driver") or "local",
                          "propagation": m.get("Propagation") or "",
                          "read/write": "true" if m.get("RW", True) else "false"}
        else:
            attributes = {"container": row["id"], "driver": m.get("Driver") or "local"}
        journal.append(engine.paths.root, "volume", action, m["Name"], attributes)


def started(engine: Engine, row: Row) -> None:
    """A start's events in dockerd's order: network connect, volume mount, start."""
    networks(engine, row, "connect")
    volumes(engine, row, "mount")
    container(engine, row, "start")


def exited(engine: Engine, row: Row, code: int) -> None:
    """An exit's events in dockerd's order: die, network disconnect, volume unmount."""
    container(engine, row, "die", exitCode=str(code))
    networks(engine, row, "disconnect")
    volumes(engine, row, "unmount")
