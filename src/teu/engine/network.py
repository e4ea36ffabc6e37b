"""The engine's hooks into teu.network: the only place the engine talks to it.

    validate(engine, settings)        create: the networks exist, --ip fits, container:X
    begin(engine, row)                start: netns made, first ADD running (or None)
    apply(engine, spec, row, session) the spec joins that netns (or container:X's)
    release(engine, row)              the container stopped: DEL, ports unpublished
    network_settings(engine, row)     inspect's NetworkSettings

Below teardown and the lifecycle modules; it imports only context, db and procs.
"""

from __future__ import annotations

import os

from teu.engine.context import Engine
from teu.engine.db import Row
from teu.engine.errors import EngineError, NotFound


def validate(engine: Engine, settings: dict) -> None:
    host = settings["HostConfig"]
    mode = host.get("NetworkMode") or "none"
    if mode.startswith("container:"):
        other = engine.find(mode.partition(":")[2])
        host["NetworkMode"] = f"container:{other['id']}"
        return
    if mode in ("none", "host"):
        return
    from teu.network.attach import validate as check

    check(engine.paths.root, settings)


class _LoopbackOnly:
    """`--network none`: a namespace of its own holding only `lo`, and `lo` up, as docker's
    and podman's none (127.0.0.1 answers). teu makes it, as it makes a bridge's, because
    an OCI runtime (teu-runtime, runc, crun alike) leaves a new namespace's `lo` down."""

    __slots__ = ("netns",)

    def __init__(self) -> None:
        from teu.network import netns

        self.netns = netns.new(loopback=False)

    @property
    def path(self) -> str:
        return self.netns.path

    def finish(self, pid: int = 0) -> dict:
        """The init holds the namespace now: bring `lo` up (the kernel's first `lo up` of
        a namespace is slow, so it runs after the create, not before) and let go of it."""
        try:
            self.netns.loopback_up()
        finally:
            self.netns.close()
        return {}

    def abort(self) -> None:
        self.netns.close()


def begin(engine: Engine, row: Row):  # noqa: ANN201 - a teu.network.attach.Session or None
    mode = row.settings["HostConfig"].get("NetworkMode") or "none"
    if mode == "none":
        return _LoopbackOnly()
    if mode == "host" or mode.startswith("container:"):
        return None
    from teu.network.attach import begin as start

    return start(engine.paths.root, row["id"], row["name"], row.settings,
                 engine.paths.container(row["id"]))


def apply(engine: Engine, spec: dict, row: Row, session) -> None:  # noqa: ANN001
    """Point the spec's network namespace at the one made (or at container:X's)."""
    mode = row.settings["HostConfig"].get("NetworkMode") or "none"
    path = session.path if session is not None else ""
    if mode.startswith("container:"):
        path = _container_netns(engine, mode.partition(":")[2])
    if not path:
        return
    for ns in spec["linux"]["namespaces"]:
        if ns["type"] == "network":
            ns["path"] = path


def _container_netns(engine: Engine, ref: str) -> str:
    from teu.engine.procs import alive

    try:
        other = engine.find(ref)
    except NotFound:
        raise EngineError(f"cannot join network of container {ref[:12]}: it is gone") from None
    if other["status"] not in ("running", "paused") or not alive(other["pid"],
                                                                   other["pid_start"]):
        raise EngineError(f"cannot join network of a non running container: {other['name']}")
    return f"/proc/{other['pid']}/ns/net"


def release(engine: Engine, row: Row) -> None:
    """DEL the container's attachments (nothing to do, and nothing imported, if none)."""
    pending = begin_release(engine, row)
    if pending is not None:
        end_release(pending)


def begin_release(engine: Engine, row: Row):  # noqa: ANN201 - attach.Detaching or None
    """Start the DEL (the caller does its other teardown meanwhile, then end_release)."""
    cid = row["id"]
    if not os.path.isdir(os.path.join(engine.paths.root, "networks", "results", cid)):
        return None
    from teu.network.attach import begin_detach
    from teu.network.errors import NetworkError

    try:
        return begin_detach(engine.paths.root, cid)
    except NetworkError as e:
        from teu.runtime import log

        log.warning(str(e))
        return None


def end_release(pending) -> None:  # noqa: ANN001 - attach.Detaching
    from teu.network.errors import NetworkError

    try:
        pending.wait()
    except NetworkError as e:
        from teu.runtime import log

        log.warning(str(e))


def network_settings(engine: Engine, row: Row) -> dict:
    from teu.network.view import network_settings as view

    pid = row["pid"] if row["status"] in ("running", "paused") else 0
    return view(engine.paths.root, row["id"], row.settings, pid)


# --- `teu network` verbs that need the containers' rows


def _users(engine: Engine, name: str) -> list[Row]:
    """Containers whose settings name the network (running or not)."""
    from teu.network.attach import attached_networks

    return [r for r in engine.db.all() if name in [n for n, _ in
                                                   attached_networks(r.settings)]]


def inspect_network(engine: Engine, ref: str) -> dict:
    from teu.network.store import Store
    from teu.network.view import containers_of

    if ref in ("host", "none"):  # docker's predefined ones: no conflist, no addresses
        import hashlib

        from teu.network.config import Network

        net = Network(ref, hashlib.sha256(ref.encode()).hexdigest(),
                      driver="host" if ref == "host" else "null")
        users = {r["id"]: {"Name": r["name"], "EndpointID": "", "MacAddress": "",
                           "IPv4Address": "", "IPv6Address": ""}
                 for r in engine.db.all() if r["status"] in ("running", "paused")
                 and (r.settings["HostConfig"].get("NetworkMode") or "none") == ref}
        return net.inspect(users)
    net = Store(engine.paths.root).get(ref)
    names = {r["id"]: r["name"] for r in engine.db.all()}
    return net.inspect(containers_of(engine.paths.root, net.name, names))


def remove_network(engine: Engine, ref: str, force: bool = False) -> str:
    """docker network rm: refused while containers use it (-f: they are disconnected)."""
    from teu.network.attach import remove_host_side
    from teu.network.errors import NetworkError
    from teu.network.store import Store

    store = Store(engine.paths.root)
    net = store.get(ref)
    if net.is_default:
        raise NetworkError("bridge is a pre-defined network and cannot be removed")
    sweep_stale(engine)
    users = _users(engine, net.name)
    if users and not force:
        raise NetworkError(f"error while removing network: network {net.name} id {net.id} has "
                           f"active endpoints ({', '.join(r['name'] for r in users)})")
    for r in users:
        disconnect(engine, net.name, r["id"], force=True)
    if net.external is None:
        remove_host_side(net)
    store.remove_file(net)
    return net.name


def sweep_stale(engine: Engine) -> list[str]:
    """DEL the attachments of containers that are gone or no longer running (a teu killed
    with -9 halfway, a row removed by hand): their leases, veths and ports go."""
    from teu.engine.procs import alive
    from teu.network.attach import all_records, detach

    swept = []
    for cid, recs in all_records(engine.paths.root).items():
        if _live_oneshot(cid):
            continue  # a build's RUN (no row): its own teu detaches it, or the next sweeps it
        row = engine.db.get(cid)
        if row is not None and (row["status"] in ("creating", "starting", "running",
                                                  "paused", "restarting")
                                and (alive(row["pid"], row["pid_start"])
                                     or alive(row["monitor_pid"], row["monitor_start"]))):
            continue
        if recs:
            try:
                swept.append(cid)
                # the container is gone: a DEL that fails now would fail forever
                detach(engine.paths.root, cid, force=row is None)
            except Exception as e:  # noqa: BLE001 - sweep the others
                from teu.runtime import log

                log.warning(str(e))
    return swept


def _live_oneshot(cid: str) -> bool:
    """A one-shot container (teu.engine.lifecycle.oneshot: <name>-<teu pid>-<n>, never a
    64-hex row ID) whose teu still runs."""
    parts = cid.rsplit("-", 2)
    return len(parts) == 3 and parts[1].isdigit() and os.path.exists(f"/proc/{parts[1]}")


def prune(engine: Engine, filters: dict[str, list[str]] | None = None) -> list[str]:
    """docker network prune: teu networks no container uses (never `bridge`; host and
    none are not networks of the store), matching the filters: label (teu.labelfilter)
    and until (made before it)."""
    from teu.engine.timefmt import parse_rfc3339, until_of
    from teu.labelfilter import matches
    from teu.network.attach import remove_stale_bridges, tidy_fast_path
    from teu.network.store import Store

    filters = filters or {}
    until = until_of(filters)
    sweep_stale(engine)
    store = Store(engine.paths.root)
    with store.lock():
        remove_stale_bridges(store)  # half-built by a teu of this root killed while making one
    tidy_fast_path(None)  # the loopback fast path's leftovers of a killed teu
    removed = []
    for net in store.own_networks():
        if net.is_default or not matches(net.labels, filters):
            continue
        if until is not None and net.created and parse_rfc3339(net.created) >= until:
            continue
        if _users(engine, net.name):
            continue
        remove_network(engine, net.name)
        removed.append(net.name)
    from teu import journal

    journal.append(engine.paths.root, "network", "prune", "", {"reclaimed": "0"})  # dockerd's
    return removed


def connect(engine: Engine, network: str, ref: str, ip: str = "", ip6: str = "",
            aliases: list[str] | None = None) -> None:
    from teu import fastjson
    from teu.engine.procs import alive
    from teu.network.attach import attached_networks
    from teu.network.attach import connect as attach
    from teu.network.attach import validate as check
    from teu.network.errors import NetworkError
    from teu.network.store import Store

    row = engine.find(ref)
    net = Store(engine.paths.root).get(network)
    settings = row.settings
    host = settings["HostConfig"]
    mode = host.get("NetworkMode") or "none"
    if mode == "host" or mode.startswith("container:"):
        raise NetworkError("container sharing network namespace with another container or "
                           "host cannot be connected to any other network")
    if net.name in [n for n, _ in attached_networks(settings)]:
        raise NetworkError(f"endpoint with name {row['name']} already exists in network "
                           f"{net.name}")
    ep: dict = {}
    ipam = {k: v for k, v in (("IPv4Address", ip), ("IPv6Address", ip6)) if v}
    if ipam:
        ep["IPAMConfig"] = ipam
    if aliases:
        ep["Aliases"] = list(aliases)
    endpoints = (settings.setdefault("NetworkingConfig", {})
                 .setdefault("EndpointsConfig", {}))
    if mode == "none":
        if alive(row["pid"], row["pid_start"]):
            raise NetworkError("container cannot be connected to multiple networks with one "
                               "of the networks in private (none) mode")
        host["NetworkMode"] = net.name
        endpoints.clear()
    endpoints[net.name] = ep
    check(engine.paths.root, settings)
    with engine.lock(row["id"]):
        fresh = engine.reload(row) or row
        running = fresh["status"] in ("running", "paused") and alive(fresh["pid"],
                                                                      fresh["pid_start"])
        if running:
            attach(engine.paths.root, row["id"], row["name"], settings,
                   engine.paths.container(row["id"]), fresh["pid"], net.name)
        with engine.db.tx() as db:
            db.update(row["id"], settings=fastjson.dumps(settings))
    if running:  # a stopped container's connect is reported at its start
        _report(engine, "connect", net.id, net.name, net.driver, row["id"])


def _report(engine: Engine, action: str, nid: str, name: str, driver: str, cid: str) -> None:
    from teu import journal

    journal.append(engine.paths.root, "network", action, nid,
                   {"container": cid, "name": name, "type": driver})


def disconnect(engine: Engine, network: str, ref: str, force: bool = False) -> None:
    from teu import fastjson
    from teu.engine.procs import alive
    from teu.network.attach import attached_networks
    from teu.network.attach import disconnect as detach_one
    from teu.network.errors import NetworkError
    from teu.network.store import Store

    row = engine.find(ref)
    try:
        name = Store(engine.paths.root).get(network).name
    except NetworkError:
        if not force:
            raise
        name = network
    settings = row.settings
    nets = [n for n, _ in attached_networks(settings)]
    if name not in nets:
        if force:
            return
        raise NetworkError(f"container {row['id'][:12]} is not connected to network {name}")
    with engine.lock(row["id"]):
        fresh = engine.reload(row) or row
        pid = fresh["pid"] if alive(fresh["pid"], fresh["pid_start"]) else 0
        detach_one(engine.paths.root, row["id"], name, pid)
        if pid:
            try:
                net = Store(engine.paths.root).get(name)
                _report(engine, "disconnect", net.id, net.name, net.driver, row["id"])
            except NetworkError:
                pass
        endpoints = settings["NetworkingConfig"]["EndpointsConfig"]
        endpoints.pop(name, None)
        host = settings["HostConfig"]
        if host.get("NetworkMode") == name:
            host["NetworkMode"] = next(iter(endpoints), "none")
        with engine.db.tx() as db:
            db.update(row["id"], settings=fastjson.dumps(settings))


def explain(engine: Engine, row: Row, wanted: str | None = None) -> tuple[str, bool]:
    from teu.engine.procs import alive
    from teu.network.attach import records
    from teu.network.explain import explain as path_of

    pid = row["pid"] if alive(row["pid"], row["pid_start"]) else 0
    return path_of(records(engine.paths.root, row["id"]), pid, wanted)


def ports_text(engine: Engine, row: Row) -> str:
    """ps's PORTS: "0.0.0.0:8080->80/tcp, 53/udp" ('' and nothing imported if no record)."""
    if not os.path.isdir(os.path.join(engine.paths.root, "networks", "results", row["id"])):
        return ""
    from teu.network.attach import records

    parts = []
    for rec in records(engine.paths.root, row["id"]):
        for m in (rec.get("teu") or {}).get("ports") or []:
            ip, to = m.get("hostIP") or "", f"{m['hostPort']}->{m['containerPort']}/{m['protocol']}"
            if ":" not in ip:
                parts.append(f"{ip or '0.0.0.0'}:{to}")
            if m.get("containerIP6") and (":" in ip or not ip):
                parts.append(f"[{ip or '::'}]:{to}")  # docker's "[::]:8080->80/tcp"
    return ", ".join(parts)
