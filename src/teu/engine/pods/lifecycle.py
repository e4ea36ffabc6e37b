"""Pod verbs: create (the row and its infra container), start (infra first), stop
(members first), kill, remove (members, the row, then the infra), and what a
container joining a pod (`run --pod`) takes from it."""

from __future__ import annotations

import time

from teu.engine import state as S
from teu.engine.context import Engine
from teu.engine.db import Row
from teu.engine.errors import Conflict, InvalidArgument
from teu.engine.pods import cgroup, prober, store
from teu.engine.pods.join import NETWORK_OPTIONS, SHARE, infra_started
from teu.engine.pods.store import Pod

INFRA_LABEL = "io.teu.pod"


def _share(value: str | None) -> list[str]:
    if value is None:
        return list(SHARE)
    kinds = [k.strip() for k in value.split(",") if k.strip()]
    for k in kinds:
        if k not in SHARE:
            raise InvalidArgument(f"invalid kernel namespace to share: {k} (ipc, net, uts)")
    return kinds


def create(engine: Engine, opts: dict) -> Pod:
    """podman pod create: the pod's row, then its infra container (created, not started)."""
    from teu.engine import names
    from teu.engine.config.options import check_name, labels
    from teu.engine.lifecycle.create import create as create_container
    from teu.engine.pods import pause

    db = engine.db
    taken = {p.name for p in store.all_pods(db)}
    name = opts.get("name") or names.random_name(taken)
    if not (len(name) == 1 and name.isalnum() and name.isascii()):  # Kubernetes allows "a"
        name = check_name(name)
    share = _share(opts.get("share"))
    infra_opts = {k: opts[k] for k in NETWORK_OPTIONS if opts.get(k)}
    if "net" not in share and infra_opts:
        raise InvalidArgument("cannot set network options for a pod that does not share "
                              "its network namespace (--share net)")
    pod = Pod(names.new_id(), name, time.time(), "", {
        "Hostname": opts.get("hostname") or name,
        "HostnameGiven": bool(opts.get("hostname")),  # podman's inspect shows only that
        "Labels": labels(list(opts.get("label") or [])),
        "Share": share,
        "Infra": infra_opts,
        "CreateCommand": list(opts.get("create_command") or []),
    })
    if opts.get("probes"):  # kube play's: teu.engine.pods.probes.Probe dicts
        pod.settings["Probes"] = list(opts["probes"])
    if opts.get("service_ports"):  # kube play's: [proto, port, targetPort] (service_nat)
        pod.settings["ServicePorts"] = [list(r) for r in opts["service_ports"]]
    _limits(pod, opts)
    if "uts" not in share and opts.get("hostname"):
        raise InvalidArgument("cannot set a hostname for a pod that does not share its UTS "
                              "namespace")
    with db.tx():
        if not store.insert(db, pod):
            raise Conflict(f'error adding pod to state: name "{name}" is in use: pod already '
                           "exists")
    try:
        cgroup.ensure(pod)
        image = pause.ensure(engine.paths.root)
        row = create_container(engine, {
            **infra_opts, "name": opts.get("infra_name") or f"{pod.id[:12]}-infra",
            "image": image, "hostname": pod.settings["Hostname"] if "uts" in share else "",
            "label": [f"{INFRA_LABEL}={pod.id}"], "pod_infra": pod.id,
            "stop_timeout": 10, "pull": "never"})
        with db.tx():
            store.set_infra(db, pod.id, row["id"])
    except BaseException:
        with db.tx():
            store.delete(db, pod.id)
        cgroup.remove(pod)
        raise
    pod.infra_id = row["id"]
    return pod


def _limits(pod: Pod, opts: dict) -> None:
    """podman's pod create --cpus, --memory, --memory-swap: the pod's own cgroup."""
    from teu.engine.config import units

    res = {}
    if opts.get("memory"):
        res["Memory"] = units.size(opts["memory"], "--memory")
    if opts.get("memory_swap"):
        if not res.get("Memory"):
            raise InvalidArgument("you must provide a memory limit when specifying a swap "
                                  "limit (--memory-swap needs --memory)")
        res["MemorySwap"] = units.memory_swap(opts["memory_swap"])
    if opts.get("cpus"):
        res["NanoCpus"] = units.nano_cpus(opts["cpus"])
    res = {k: v for k, v in res.items() if v}
    if res:
        pod.settings["Resources"] = res
        pod.settings["CgroupParent"] = cgroup.path_of(pod.id)


def create_for_container(engine: Engine, opts: dict) -> Pod:
    """podman's `run/create --pod new:NAME`: a new pod for this container, which takes
    the container's network options (ports, networks, aliases, DNS, hostname); `opts`
    loses them and names the pod."""
    name = str(opts["pod"])[len("new:"):]
    if not name:
        raise InvalidArgument("--pod new: needs a name (new:NAME)")
    pod_opts: dict = {"name": name, "create_command": ["teu", "pod", "create", name]}
    for key in (*NETWORK_OPTIONS, "hostname"):
        if opts.get(key):
            pod_opts[key] = opts.pop(key)
    pod = create(engine, pod_opts)
    opts["pod"] = pod.name
    return pod


def members(engine: Engine, pod: Pod) -> list[Row]:
    """The pod's containers but its infra, oldest first (their states refreshed)."""
    rows = [r for r in S.refresh_all(engine) if (r.settings.get("Teu") or {}).get("Pod")
            == pod.id]
    return sorted(rows, key=lambda r: r["created"])


def infra(engine: Engine, pod: Pod) -> Row | None:
    row = engine.db.get(pod.infra_id) if pod.infra_id else None
    return S.refresh(engine, row) if row is not None else None


def start(engine: Engine, ref: str) -> Pod:
    """podman pod start: the infra, then every member not running (creation order)."""
    from teu.engine.lifecycle.launch import start as start_container

    pod = store.find(engine.db, ref)
    row = infra(engine, pod)
    if row is not None and row["status"] not in S.RUNNING:
        start_container(engine, row["id"])
        infra_started(engine, row)
    for m in members(engine, pod):
        if m["status"] not in S.RUNNING:
            start_container(engine, m["id"])
    prober.launch(engine, pod)
    return pod


def stop(engine: Engine, ref: str, timeout: float | None = None) -> Pod:
    """podman pod stop: the members all at once (each its stop signal, then SIGKILL when
    its timeout, or `timeout`, runs out), then the infra."""
    pod = store.find(engine.db, ref)
    stop_pods(engine, [pod], timeout)
    return pod


def stop_pods(engine: Engine, pods: list[Pod], timeout: float | None = None,
              cap: float | None = None) -> None:
    """Several pods at once: every member, then every infra. `cap`: no container waits
    longer than that for its stop signal to work (kube down's)."""
    for pod in pods:
        prober.stop(engine, pod)  # first: it must not restart what is stopping
    rows = [m for pod in pods for m in members(engine, pod)
            if m["status"] in S.RUNNING or m["status"] == "restarting"]
    _stop_all(engine, rows, timeout, cap)
    infras = [r for r in (infra(engine, pod) for pod in pods)
              if r is not None and r["status"] in S.RUNNING]
    _stop_all(engine, infras, timeout, cap)


def _stop_all(engine: Engine, rows: list[Row], timeout: float | None,
              cap: float | None = None) -> None:
    """docker stop of several containers, the waits overlapping (a pod of N containers
    that ignore SIGTERM stops in one timeout, not N)."""
    from teu.engine.config.units import signal_number
    from teu.engine.lifecycle.control import kill, kill_and_wait
    from teu.engine.lifecycle.control import stop as stop_container
    from teu.engine.lifecycle.waiting import exited, wait_exit

    waiting = []
    for r in rows:
        if r["status"] == "restarting":
            stop_container(engine, r["id"], timeout)  # marks it stopped; nothing runs
            continue
        config = r.settings["Config"]
        with engine.db.tx() as db:  # a restart policy must not bring it back
            db.update(r["id"], stopped_by_user=1)
        try:
            kill(engine, r["id"], signal_number(config.get("StopSignal") or "SIGTERM",
                                                "--signal"))
        except Conflict:
            continue  # it exited meanwhile
        wait = config.get("StopTimeout", 10) if timeout is None else timeout
        if cap is not None:
            wait = min(wait, cap)
        waiting.append((r, time.monotonic() + max(0, wait)))
    for r, deadline in waiting:
        fresh = wait_exit(engine, r, max(0.0, deadline - time.monotonic()))
        if fresh is None or exited(fresh):
            continue
        kill_and_wait(engine, r)


def restart(engine: Engine, ref: str, timeout: float | None = None) -> Pod:
    """podman pod restart: stop (members, then the infra), then start."""
    stop(engine, ref, timeout)
    return start(engine, ref)


def pause(engine: Engine, ref: str) -> Pod:
    """podman pod pause: every running container, the infra too (the prober rests:
    a frozen container would fail its probes)."""
    from teu.engine.lifecycle.control import pause as pause_container

    pod = store.find(engine.db, ref)
    rows = [r for r in [*members(engine, pod), infra(engine, pod)]
            if r is not None and r["status"] == "running"]
    if not rows:
        raise Conflict(f"pod {pod.id} has no running containers to pause")
    prober.stop(engine, pod)
    for r in rows:
        pause_container(engine, r["id"])
    return pod


def unpause(engine: Engine, ref: str) -> Pod:
    from teu.engine.lifecycle.control import unpause as unpause_container

    pod = store.find(engine.db, ref)
    rows = [r for r in [infra(engine, pod), *members(engine, pod)]
            if r is not None and r["status"] == "paused"]
    if not rows:
        raise Conflict(f"pod {pod.id} has no paused containers to unpause")
    for r in rows:
        unpause_container(engine, r["id"])
    prober.launch(engine, store.find(engine.db, pod.id))
    return pod


def kill(engine: Engine, ref: str, signal: str = "SIGKILL") -> Pod:
    from teu.engine.config.units import signal_number
    from teu.engine.lifecycle.control import kill as kill_container

    pod = store.find(engine.db, ref)
    if signal_number(signal, "--signal") in (2, 9, 15):  # an end, not a message
        prober.stop(engine, pod)
    rows = [*reversed(members(engine, pod)), infra(engine, pod)]
    running = [r for r in rows if r is not None and r["status"] in S.RUNNING]
    if not running:
        raise Conflict(f"pod {pod.id} has no running containers to kill")
    for r in running:
        kill_container(engine, r["id"], signal)
    return pod


def remove(engine: Engine, ref: str, force: bool = False, volumes: bool = False) -> str:
    """podman pod rm [-f]: refused while a container runs, unless forced; the members
    go, then the pod's row, then the infra (a crash in between leaves an infra with no
    pod, which a plain `rm` removes). Returns the pod's ID."""
    from teu.engine.lifecycle.remove import remove as remove_container

    pod = store.find(engine.db, ref)
    rows = members(engine, pod)
    inf = infra(engine, pod)
    if force:
        prober.stop(engine, pod)
    if not force:
        busy = [r for r in [*rows, inf] if r is not None and (r["status"] in S.RUNNING
                                                              or r["status"] == "restarting")]
        if busy:
            raise Conflict(f"pod {pod.id} has containers that are not ready to be removed: "
                           f"cannot remove container {busy[0]['id']} as it is "
                           f"{busy[0]['status']}: stop the pod or force remove (-f)")
    for r in reversed(rows):
        remove_container(engine, r["id"], force=True, volumes=volumes)
    with engine.db.tx() as db:
        store.delete(db, pod.id)
    prober.forget(engine, pod.id)
    if inf is not None:
        remove_container(engine, inf["id"], force=True)
    cgroup.remove(pod)
    return pod.id
