"""`up -d`, `ps` and `down` of a loaded project, through teu.engine and teu.network:
the project's networks (labelled as docker compose labels them), then one container per
service in dependency order; a container whose config hash is unchanged is left running."""

from __future__ import annotations

from collections.abc import Callable

from teu.compose import plan
from teu.compose.changes import FALLBACK, Changes
from teu.compose.errors import ComposeError


def _project_containers(engine, project: str) -> list:  # noqa: ANN001
    from teu.engine import state

    rows = state.refresh_all(engine)
    return [r for r in rows if (r.settings["Config"].get("Labels") or {}).get(plan.PROJECT)
            == project]


class UpOptions:
    """`compose up`'s choices (its flags), the shape the CLI and teu.api fill (a plain
    class: `dataclasses` costs ~25 ms of imports on every compose command)."""

    def __init__(self, services: list[str] | None = None,  # none: every enabled service
                 scale: dict[str, int] | None = None,
                 build: str = "",  # "build" (--build), "no-build" (--no-build), "" (missing)
                 no_cache: bool = False,
                 pull: str = "missing",  # --pull always|missing|never
                 force_recreate: bool = False, no_recreate: bool = False,
                 no_deps: bool = False, remove_orphans: bool = False,
                 no_start: bool = False,
                 timeout: float | None = None,  # -t: seconds to stop a replaced container
                 environ: dict[str, str] | None = None,  # the project's (.env + process)
                 labels: dict[str, str] | None = None,  # on every container (files, dir)
                 ) -> None:
        self.services = list(services or [])
        self.scale = dict(scale or {})
        self.build = build
        self.no_cache = no_cache
        self.pull = pull
        self.force_recreate = force_recreate
        self.no_recreate = no_recreate
        self.no_deps = no_deps
        self.remove_orphans = remove_orphans
        self.no_start = no_start
        self.timeout = timeout
        self.environ = environ
        self.labels = dict(labels or {})

    def __repr__(self) -> str:
        return f"UpOptions({self.__dict__!r})"


# What a container's create and detached start import (python -X importtime on `compose
# up`; the engine imports them lazily, for `teu run`'s sake): imported once in this
# process, beside the network's creation, so that each container's forked child does
# not import them again. A stale list costs time, not correctness.
START_MODULES = (
    "teu.engine.lifecycle.run", "teu.engine.lifecycle.launch", "teu.engine.lifecycle.control",
    "teu.engine.lifecycle.remove", "teu.engine.pods.new", "teu.engine.network",
    "teu.engine.events", "teu.engine.runtimes", "teu.engine.monitor.conmon",
    "teu.engine.monitor.health", "teu.engine.storage.rootfs", "teu.engine.storage.initlayer",
    "teu.engine.config.spec", "teu.engine.config.mounts", "teu.engine.config.seccomp",
    "teu.engine.config.users", "teu.engine.config.hostopts", "teu.engine.config.network_opts",
    "teu.network.attach", "teu.network.hosts", "teu.network.netns",
    "teu.oci.runtime_config", "teu.runtime.lifecycle", "teu.runtime.linux", "teu.runtime.log",
    "teu.runtime.mount_options", "teu.runtime.rootfs", "teu.trust.enforce", "teu.trust.pin",
    "teu.trust.policy", "ctypes",
    # what the service threads import (an import in one thread while another forks can
    # leave the module's lock held in the child)
    "shlex", "json", "hashlib", "tempfile", "select", "teu.compose.render",
    "teu.compose.parallel", "teu.engine.forked", "teu.engine.state",
    "teu.engine.lifecycle.waiting", "teu.journal")
# ... and what a stop and a removal import (`down`).
STOP_MODULES = (
    "teu.engine.lifecycle.control", "teu.engine.lifecycle.remove",
    "teu.engine.lifecycle.waiting", "teu.engine.events", "teu.engine.runtimes",
    "teu.engine.config.units", "teu.engine.oom", "teu.engine.storage.rootfs",
    "teu.engine.storage.fsutil", "teu.runtime.cgroups.v1", "teu.runtime.cgroups.v2",
    "teu.runtime.cgroups.mounts", "teu.runtime.linux", "teu.runtime.lifecycle",
    "teu.runtime.log", "teu.network.attach", "teu.network.hosts", "teu.journal", "json",
    "ctypes", "select", "fcntl", "tempfile", "teu.compose.parallel", "teu.engine.forked")


def _preload(modules: tuple[str, ...] = START_MODULES):  # noqa: ANN202 - a Thread
    """Import `modules` in a thread; join it before the first fork."""
    import threading

    def imports() -> None:
        for name in modules:
            try:
                __import__(name)
            except ImportError:
                pass

    t = threading.Thread(target=imports, name="compose-preload", daemon=True)
    t.start()
    return t


def selected(model: dict, services: list[str], no_deps: bool = False) -> list[str]:
    """The services `up SERVICE...` acts on, in start order: those named and (unless
    --no-deps) what they depend on; every service when none is named."""
    from teu.compose.normalize import service_order, with_dependencies

    for s in services:
        if s not in model["services"]:
            raise ComposeError(f"no such service: {s}")
    keep = set(model["services"]) if not services else (
        set(services) if no_deps else set(with_dependencies(model["services"], services)))
    return [s for s in service_order(model["services"]) if s in keep]


def up(engine, model: dict, say: Callable[[str], None],  # noqa: ANN001
       options: UpOptions | None = None) -> dict[str, list[str]]:
    """Build what must be built, create what is missing, recreate what changed, start
    what is stopped, scale each service to its count (by container number);
    {service: its container IDs}."""
    from teu.compose import images

    o = options or UpOptions()
    project = model["name"]
    services = selected(model, o.services, o.no_deps)
    for svc in o.scale:
        if svc not in model["services"]:
            raise ComposeError(f"no such service: {svc}")
    check_ports(model, services, o.scale)
    # Images first: a failed build or pull leaves nothing of the project behind.
    images.ensure(engine, model, services, say, o.build, no_cache=o.no_cache,
                  pull=o.pull == "always", environ=o.environ)
    preload = _preload()  # after the builds: they fork, and run containers
    from teu.image.store import Store

    with Store(engine.paths.root) as store:
        image_ids = {s: image_for(engine, model, s, o.pull, store) for s in services}
    ensure_resources(engine, model, say)
    existing = {r["name"]: r for r in _project_containers(engine, project)}
    preload.join()  # no fork while another thread may hold an import's lock
    orphans = sorted(r["name"] for r in existing.values()
                     if _labels(r).get(plan.SERVICE) not in model["services"]
                     and _labels(r).get(plan.ONEOFF) != "True")
    if orphans and o.remove_orphans:
        remove_rows(engine, [r for r in existing.values() if r["name"] in orphans],
                    o.timeout, say)
    elif orphans:
        say(f"WARN[0000] Found orphan containers ({orphans}) for this project. If you "
            "removed or renamed this service in your compose file, you can run this "
            "command with the --remove-orphans flag to clean it up.")
    from teu.compose.parallel import run_graph

    recreated: set[str] = set()
    ids: dict[str, list[str]] = {}
    paths = engine.paths

    def service_up(service: str) -> list[str]:
        from teu.engine.context import Engine

        e = Engine(paths.root, paths.runroot)
        try:
            return _service_up(e, model, service, o, existing, image_ids, ids, recreated,
                               say)
        finally:
            e.close()

    needs = {s: list(model["services"][s].get("depends_on") or {}) for s in services}
    run_graph(services, needs, service_up)
    return {s: ids[s] for s in services if s in ids}


def _service_up(engine, model: dict, service: str, o: UpOptions, existing: dict,  # noqa: ANN001
                image_ids: dict, ids: dict, recreated: set,
                say: Callable[[str], None]) -> list[str]:
    """One service's part of `up` (in its own thread, once its dependencies have
    started): each container up to date, created but not started (as docker compose
    converges every service before it starts any), which runs beside the dependencies'
    health checks; then, their conditions met, the containers started; then those above
    its count removed. Each create and start in a forked child, the replicas side by
    side."""
    from teu.compose.parallel import DB_LOCK, each, forked

    svc = model["services"][service]
    # depends_on.restart: a recreated dependency recreates its dependants.
    force = o.force_recreate or any(
        dep in recreated and (spec or {}).get("restart")
        for dep, spec in (svc.get("depends_on") or {}).items())
    count = replicas(svc, o.scale.get(service))
    files = secret_flags(engine, model, service, o.environ)
    plans = []
    for number in range(1, count + 1):
        run_opts = plan.run_options(model, service, number, image_ids[service])
        run_opts["label"] += [f"{k}={v}" for k, v in o.labels.items()]
        if files:
            run_opts["secret"] = files
        plans.append((run_opts, existing.get(run_opts["name"])))
    done: dict[str, list] = {}  # name: [ID, (re)created, running]

    def in_child(fn: Callable) -> list:  # noqa: ANN001 - fn(engine, say)
        def go() -> list:
            from teu.engine.context import Engine

            lines: list[str] = []
            e = Engine(engine.paths.root, engine.paths.runroot)
            try:
                return [fn(e, lines.append), lines]
            finally:
                e.close()

        value, lines = forked(go)
        for line in lines:
            say(line)
        return value

    # Nothing to wait for: each new container created and started by one child.
    start_now = not o.no_start and not svc.get("depends_on")

    def converge(item: tuple) -> None:
        run_opts, row = item
        if row is None:
            say(f" Container {run_opts['name']}  Creating")

        def go(e, lines: Callable[[str], None]) -> list:  # noqa: ANN001
            out = _converge(e, run_opts, row, lines, force, o)
            if start_now and row is None:
                lines(f" Container {run_opts['name']}  Starting")
                _start(e, out[0], run_opts["name"], lines)
                out[2] = True
            return out

        done[run_opts["name"]] = in_child(go)

    # New containers now; one to recreate keeps running until the dependencies are met.
    each([p for p in plans if p[1] is None], converge)
    if not o.no_start:
        try:
            for dep, spec in (svc.get("depends_on") or {}).items():
                if ids.get(dep):
                    wait_condition(engine, dep, ids[dep][0], spec.get("condition", ""), say)
        except BaseException:
            # nothing of the service left half-made: what was created here goes again
            with DB_LOCK:
                rows = [engine.find(cid) for cid, _, _ in done.values()]
            remove_rows(engine, rows, 0, lambda line: None)
            raise
    each([p for p in plans if p[1] is not None], converge)
    mine = [done[run_opts["name"]][0] for run_opts, _ in plans]
    if any(done[run_opts["name"]][1] for run_opts, _ in plans):
        recreated.add(service)
    if not o.no_start:
        def start_one(name: str) -> None:
            say(f" Container {name}  Starting")
            in_child(lambda e, lines: _start(e, done[name][0], name, lines))

        each([n for n, (_, _, running) in done.items() if not running], start_one)
    ids[service] = mine
    # Scaled down: the containers numbered above the count go (side by side).
    extra = [r for r in existing.values() if _labels(r).get(plan.SERVICE) == service
             and _labels(r).get(plan.ONEOFF) != "True"
             and int(_labels(r).get(plan.NUMBER, "0")) > count]
    remove_rows(engine, extra, o.timeout, say)
    return mine


def remove_rows(engine, rows: list, timeout: float | None,  # noqa: ANN001
                say: Callable[[str], None]) -> None:
    """Stop and remove containers, all at once (each in a forked child)."""
    from teu.compose.parallel import each, forked

    def one(row) -> None:  # noqa: ANN001
        def go() -> list:
            from teu.engine.context import Engine
            from teu.engine.lifecycle.control import stop
            from teu.engine.lifecycle.remove import remove

            e = Engine(engine.paths.root, engine.paths.runroot)
            try:
                stop(e, row["id"], timeout)
                remove(e, row["id"], force=True)
            finally:
                e.close()
            return []

        forked(go)
        say(f" Container {row['name']}  Removed")

    each(rows, one)


def files_dir(engine, project: str) -> str:  # noqa: ANN001
    """Where the project's environment/content secrets and configs are written, under
    the run root (a tmpfs on most machines: not on disk), removed by `down`."""
    import os

    return os.path.join(engine.paths.runroot, "compose", project)


def secret_flags(engine, model: dict, service: str,  # noqa: ANN001
                 environ: dict[str, str] | None = None) -> list[str]:
    """The engine's --secret specs for a service's secrets and configs; the contents of
    environment and content ones are written to files the engine copies in at start."""
    import os

    out = []
    for f in plan.mounted_files(model, service):
        if "file" in f:
            src = f["file"]
            if not os.path.isfile(src):
                raise ComposeError(f"{f['kind'][:-1]} {f['key']}: file {src} not found")
        else:
            env = os.environ if environ is None else environ
            value = env.get(f["environment"]) if "environment" in f else str(f["content"])
            if value is None:
                raise ComposeError(f"{f['kind'][:-1]} {f['key']}: environment variable "
                                   f"{f['environment']} is not set")
            d = os.path.join(files_dir(engine, model["name"]), f["kind"])
            os.makedirs(d, mode=0o700, exist_ok=True)
            src = os.path.join(d, f["key"])
            fd = os.open(src + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as w:
                w.write(value)
            os.replace(src + ".tmp", src)
        spec = f"src={src},target={f['target']},mode={f['mode']:o}"
        for k in ("uid", "gid"):
            if f[k] is not None:
                spec += f",{k}={f[k]}"
        out.append(spec)
    return out


def check_ports(model: dict, services: list[str], scale: dict[str, int]) -> None:
    """Two containers of the project cannot publish one host port: refused before
    anything is made (docker compose would create half the project, then fail on
    "port is already allocated")."""
    seen: dict[tuple[str, str, str], str] = {}
    for service in services:
        svc = model["services"][service]
        for p in svc.get("ports") or []:
            published = str(p.get("published") or "")
            if not published:
                continue
            ip = p.get("host_ip") or "0.0.0.0"
            for port in _port_range(published):
                key = (ip, port, p.get("protocol", "tcp"))
                other = seen.get(key)
                if other is None and replicas(svc, scale.get(service)) > 1 \
                        and "-" not in published:
                    other = service
                if other is not None:
                    addr = f"{ip}:{port}/{key[2]}"
                    raise ComposeError(
                        f"services.{service}.ports: host port {addr} is also published "
                        + (f"by service {other}" if other != service else
                           "by the other replicas of the service (scale > 1)"))
                seen[key] = service


def _port_range(published: str) -> list[str]:
    lo, _, hi = published.partition("-")
    if lo.isdigit() and hi.isdigit():
        return [str(n) for n in range(int(lo), int(hi) + 1)]
    return [published]


def image_for(engine, model: dict, service: str, pull: str, store=None) -> str:  # noqa: ANN001
    """The ID of a service's image, pulled first if missing (or with --pull always);
    `store`: an open image store to look it up in."""
    from teu.compose.images import image_id, image_of
    from teu.engine.lifecycle.create import pull_image

    ref = image_of(model, service)
    svc = model["services"][service]
    policy = svc.get("pull_policy") or pull
    found = image_id(engine, ref, store)
    if svc.get("build") is None and (policy == "always" or found is None):
        if found is None and policy == "never":
            raise ComposeError(f"service {service!r}: image {ref} not found locally and "
                               "pull_policy is never")
        pull_image(engine, ref)
        found = image_id(engine, ref)
    if found is None:
        raise ComposeError(f"No such image: {ref}")
    return found


def ensure_resources(engine, model: dict, say: Callable[[str], None]) -> None:  # noqa: ANN001
    """The project's networks and volumes, made if missing (labelled as docker
    compose's); an external one that is missing is an error."""
    from teu.engine.storage import volumes as vols
    from teu.network.errors import NetworkNotFound
    from teu.network.store import Store

    project = model["name"]
    store = Store(engine.paths.root)
    # The external ones first: a missing one fails `up` before anything is made.
    for spec in (model.get("networks") or {}).values():
        if spec.get("external"):
            try:
                store.get(spec["name"])
            except NetworkNotFound:
                raise ComposeError(f"network {spec['name']} declared as external, but could "
                                   "not be found") from None
    for spec in (model.get("volumes") or {}).values():
        if spec.get("external") and engine.db.volume(spec["name"]) is None:
            raise ComposeError(f"external volume \"{spec['name']}\" not found")
    for key, spec in sorted((model.get("networks") or {}).items()):
        name = spec["name"]
        try:
            store.get(name)
            continue
        except NetworkNotFound:
            pass
        ipam = {"subnet": "", "gateway": "", "ip_range": "", "subnet6": "", "gateway6": ""}
        for pool in (spec.get("ipam") or {}).get("config") or []:
            six = ":" in str(pool.get("subnet", ""))
            if pool.get("subnet"):
                ipam["subnet6" if six else "subnet"] = str(pool["subnet"])
            if pool.get("gateway"):
                ipam["gateway6" if six else "gateway"] = str(pool["gateway"])
            if pool.get("ip_range") and not six:
                ipam["ip_range"] = str(pool["ip_range"])
        store.create(name, spec.get("driver") or "bridge", internal=bool(spec.get("internal")),
                     ipv6=bool(spec.get("enable_ipv6")) or bool(ipam["subnet6"]),
                     options={str(k): str(v) for k, v in (spec.get("driver_opts") or {}).items()},
                     labels={plan.PROJECT: project, plan.NETWORK: key,
                             plan.VERSION: "2.40.3", **(spec.get("labels") or {})}, **ipam)
        say(f" Network {name}  Created")
    for key, spec in sorted((model.get("volumes") or {}).items()):
        name = spec["name"]
        if engine.db.volume(name) is not None:
            continue
        if spec.get("external"):
            raise ComposeError(f"external volume \"{name}\" not found")
        vols.create(engine.paths, engine.db, name,
                    {plan.PROJECT: project, plan.VOLUME: key, plan.VERSION: "2.40.3",
                     **(spec.get("labels") or {})})
        say(f" Volume {name}  Created")


def _labels(row) -> dict:  # noqa: ANN001
    return row.settings["Config"].get("Labels") or {}


def replicas(svc: dict, override: int | None = None) -> int:
    """How many containers a service runs: --scale, else scale:, else deploy.replicas, 1."""
    if override is not None:
        return override
    if svc.get("scale") is not None:
        return int(svc["scale"])
    return int((svc.get("deploy") or {}).get("replicas", 1))


def _converge(engine, opts: dict, row, say: Callable[[str], None],  # noqa: ANN001
              force: bool, o: UpOptions) -> list:
    """Container `opts["name"]` up to date, not started: [its ID, whether it was
    (re)created, whether it is running]. Recreated when its config hash or its image
    changed (or forced); an unchanged one is left as it is."""
    from teu.engine.lifecycle.control import stop
    from teu.engine.lifecycle.create import create
    from teu.engine.lifecycle.remove import remove

    name = opts["name"]
    if row is not None:
        want = dict(x.split("=", 1) for x in opts["label"])
        have = _labels(row)
        same = all(have.get(k) == want.get(k) for k in (plan.HASH, plan.IMAGE))
        if o.no_recreate or (same and not force):
            running = row["status"] == "running"
            if running and not o.no_start:
                say(f" Container {name}  Running")
            return [row["id"], False, running]
        say(f" Container {name}  Recreate")
        stop(engine, row["id"], o.timeout)
        remove(engine, row["id"], force=True)
    cid = create(engine, opts)["id"]
    say(f" Container {name}  {'Created' if row is None else 'Recreated'}")
    return [cid, True, False]


def _start(engine, cid: str, name: str, say: Callable[[str], None]) -> None:  # noqa: ANN001
    from teu.engine.lifecycle.launch import start

    start(engine, cid)
    say(f" Container {name}  Started")


def wait_condition(engine, service: str, cid: str, condition: str,  # noqa: ANN001
                   say: Callable[[str], None]) -> None:
    """Block until a dependency meets its depends_on condition; ComposeError (docker
    compose's words) when it cannot: unhealthy, no health check, exited, failed."""
    from teu.compose.parallel import DB_LOCK

    if condition not in ("service_completed_successfully", "service_healthy"):
        return
    with DB_LOCK:
        say(f" Container {engine.find(cid)['name']}  Waiting")
    changes = Changes(engine.paths.root)
    if condition == "service_healthy":
        _wait_healthy(engine, service, cid, say, changes)
    else:
        _wait_completed(engine, service, cid, say, changes)


def _wait_completed(engine, service: str, cid: str, say: Callable[[str], None],  # noqa: ANN001
                    changes: Changes) -> None:
    from teu.compose.parallel import DB_LOCK
    from teu.engine import state
    from teu.engine.lifecycle.waiting import exited

    while True:
        with DB_LOCK:
            row = state.refresh(engine, engine.find(cid))
        if row is None or exited(row):
            break
        changes.wait()
    code = row["exit_code"] if row is not None else None
    if code != 0:
        raise ComposeError(f'service "{service}" didn\'t complete successfully: exit {code}')
    say(f" Container {row['name']}  Exited")


def _wait_healthy(engine, service: str, cid: str, say: Callable[[str], None],  # noqa: ANN001
                  changes: Changes) -> None:
    import json

    from teu.compose.parallel import DB_LOCK
    from teu.engine import state
    from teu.engine.lifecycle.waiting import exited

    while True:
        with DB_LOCK:
            row = state.refresh(engine, engine.find(cid))
        if row is None:
            raise ComposeError(f'dependency failed to start: service "{service}" is gone')
        config = row.settings["Config"].get("Healthcheck") or {}
        if not config.get("Test") or config["Test"][0] == "NONE":
            raise ComposeError(f"dependency failed to start: container {row['name']} has no "
                               "healthcheck configured")
        health = json.loads(row["health"]) if row["health"] else {}
        status = health.get("Status", "starting")
        if status == "healthy":
            say(f" Container {row['name']}  Healthy")
            return
        if status == "unhealthy":
            log = (health.get("Log") or [{}])[-1].get("Output", "").strip()
            raise ComposeError(f"dependency failed to start: container {row['name']} is "
                               "unhealthy" + (f": {log}" if log else ""))
        if exited(row):
            raise ComposeError(f"dependency failed to start: container {row['name']} exited "
                               f"({row['exit_code']})")
        changes.wait()


def wait_ready(engine, model: dict, ids: dict[str, list[str]],  # noqa: ANN001
               say: Callable[[str], None], timeout: float | None = None) -> None:
    """`up --wait`: every container running, and healthy where it has a health check;
    a one-shot that exited 0 is done. ComposeError naming the container otherwise (the
    last check's output for an unhealthy one), or when `timeout` seconds pass."""
    import json
    import time

    from teu.engine import state
    from teu.engine.lifecycle.waiting import exited

    deadline = None if timeout is None else time.monotonic() + timeout
    todo = [cid for service in ids for cid in ids[service]]
    changes = Changes(engine.paths.root)  # before the first look at the rows
    while todo:
        for cid in list(todo):
            row = state.refresh(engine, engine.find(cid))
            name = row["name"]
            if exited(row):
                if row["exit_code"] == 0:
                    say(f" Container {name}  Exited")
                    todo.remove(cid)
                    continue
                raise ComposeError(f"container {name} exited ({row['exit_code']})")
            test = (row.settings["Config"].get("Healthcheck") or {}).get("Test") or ["NONE"]
            if test[0] == "NONE":
                if row["status"] == "running":
                    say(f" Container {name}  Running")
                    todo.remove(cid)
                continue
            health = json.loads(row["health"]) if row["health"] else {}
            if health.get("Status") == "healthy":
                say(f" Container {name}  Healthy")
                todo.remove(cid)
            elif health.get("Status") == "unhealthy":
                log = (health.get("Log") or [{}])[-1].get("Output", "").strip()
                raise ComposeError(f"container {name} is unhealthy" +
                                   (f": {log}" if log else ""))
        if todo and deadline is not None and time.monotonic() > deadline:
            raise ComposeError("application not healthy after "
                               f"{timeout:g}s" if timeout else "timeout")
        if todo:
            left = FALLBACK if deadline is None else deadline - time.monotonic()
            changes.wait(max(0.0, min(FALLBACK, left)))


def ps(engine, model: dict, all_: bool = False) -> list[dict]:  # noqa: ANN001
    """The project's containers as `teu ps` items plus Service, sorted by name."""
    import json
    import time

    from teu.engine.network import ports_text
    from teu.engine.views.listing import item

    now = time.time()
    out = []
    for row in _project_containers(engine, model["name"]):
        if not all_ and row["status"] not in ("running", "paused", "restarting"):
            continue
        it = item(row, now)
        it["Service"] = it["LabelMap"].get(plan.SERVICE, "")
        if row["status"] in ("running", "paused"):
            it["Ports"] = ports_text(engine, row)
        it["ExitCode"] = row["exit_code"] or 0
        it["Health"] = (json.loads(row["health"]).get("Status", "") if row["health"]
                        else "")
        out.append(it)
    return sorted(out, key=lambda i: i["Names"])


def down(engine, model: dict, say: Callable[[str], None], volumes: bool = False,  # noqa: ANN001
         timeout: float | None = None, services: list[str] | None = None,
         remove_orphans: bool = False, rmi: str = "") -> None:
    """Stop and remove the project's containers (dependants first), then its networks,
    (-v) its volumes and (--rmi local|all) its images. With SERVICE... only those
    services' containers go; orphans only with --remove-orphans."""
    from teu.engine.network import remove_network
    from teu.network.store import Store

    project = model["name"]
    preload = _preload(STOP_MODULES)
    rows = _project_containers(engine, project)
    preload.join()  # no fork while another thread may hold an import's lock
    orphans = [r for r in rows if _labels(r).get(plan.SERVICE) not in model["services"]]
    if services:
        rows = [r for r in rows if _labels(r).get(plan.SERVICE) in services]
    elif not remove_orphans:
        rows = [r for r in rows if r not in orphans]
        if orphans:
            say(f"WARN[0000] Found orphan containers ({sorted(r['name'] for r in orphans)}) "
                "for this project. If you removed or renamed this service in your compose "
                "file, you can run this command with the --remove-orphans flag to clean "
                "it up.")
    _stop_remove(engine, model, rows, say, timeout, volumes)
    if services:
        return
    if not orphans or remove_orphans:
        for net in Store(engine.paths.root).all():
            if (net.labels or {}).get(plan.PROJECT) == project:
                remove_network(engine, net.name, force=True)
                say(f" Network {net.name}  Removed")
    import shutil

    shutil.rmtree(files_dir(engine, project), ignore_errors=True)
    if volumes:
        from teu.engine.storage import volumes as vols

        for spec in (model.get("volumes") or {}).values():
            if not spec.get("external") and engine.db.volume(spec["name"]) is not None:
                vols.remove(engine.paths, engine.db, spec["name"])
                say(f" Volume {spec['name']}  Removed")
    if rmi:
        _remove_images(engine, model, rmi, say)


def _stop_remove(engine, model: dict, rows: list, say: Callable[[str], None],  # noqa: ANN001
                 timeout: float | None, volumes: bool) -> None:
    """Stop and remove containers as docker compose does: a service's containers at
    once, each service stopped after the services that depend on it (orphans first);
    each container removed as soon as it has stopped, beside the next stops."""
    from teu.compose.normalize import service_order
    from teu.compose.parallel import each, forked, run_graph

    by_service: dict[str, list] = {}
    for r in rows:
        by_service.setdefault(_labels(r).get(plan.SERVICE, ""), []).append(r)
    services = model["services"]
    dependants = {s: [d for d in services if s in (services[d].get("depends_on") or {})]
                  for s in services}
    order = [s for s in by_service if s not in services] + \
        [s for s in service_order(services)[::-1] if s in by_service]
    # an orphan's service is unknown: it goes first, before anything it may need
    orphans = [s for s in by_service if s not in services]
    needs = {s: dependants.get(s, []) + ([] if s in orphans else orphans) for s in order}

    import threading

    removing: list[threading.Thread] = []
    errors: list[BaseException] = []

    def in_child(action: str, row) -> None:  # noqa: ANN001
        def go() -> list[str]:
            from teu.engine.context import Engine
            from teu.engine.lifecycle.control import stop
            from teu.engine.lifecycle.remove import remove

            e = Engine(engine.paths.root, engine.paths.runroot)
            try:
                if action == "stop":
                    stop(e, row["id"], timeout)
                else:
                    remove(e, row["id"], force=True, volumes=volumes)
            finally:
                e.close()
            return []

        forked(go)

    def removed(row) -> None:  # noqa: ANN001
        try:
            in_child("remove", row)
            say(f" Container {row['name']}  Removed")
        except BaseException as e:  # noqa: BLE001 - raised once every removal has ended
            errors.append(e)

    def one(row) -> None:  # noqa: ANN001
        # Its dependencies may stop once it has exited; its removal (network detach,
        # mounts, cgroup) goes on beside theirs.
        say(f" Container {row['name']}  Stopping")
        in_child("stop", row)
        say(f" Container {row['name']}  Stopped")
        t = threading.Thread(target=removed, args=(row,), daemon=True)
        t.start()
        removing.append(t)

    try:
        run_graph(order, needs, lambda s: each(by_service[s], one))
    finally:
        for t in removing:
            while t.is_alive():
                t.join(0.2)
    if errors:
        raise errors[0]


def _remove_images(engine, model: dict, rmi: str, say: Callable[[str], None]) -> None:  # noqa: ANN001
    """--rmi local: the images the project built without a name of their own; all: every
    service's image. One that another container still uses stays (a warning)."""
    from teu.compose.images import image_id, image_of
    from teu.errors import TeuError
    from teu.image.store import Store

    names = []
    for service, svc in sorted(model["services"].items()):
        if rmi == "all" or (svc.get("build") is not None and not svc.get("image")):
            names.append(image_of(model, service))
    with Store(engine.paths.root) as store:
        for name in dict.fromkeys(names):
            if image_id(engine, name) is None:
                continue
            try:
                store.remove(name)
                say(f" Image {name}  Removed")
            except TeuError as e:
                say(f"WARN[0000] image {name}: {e}")
