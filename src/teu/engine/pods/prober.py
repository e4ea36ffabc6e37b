"""The prober of a pod with probes (the kubelet's prober workers; teu has no daemon),
scheduled as teu's health checks are (teu.engine.monitor.health): one small `sh` loop
beside the pod, started by `kube play`, `pod start` and `pod unpause`, killed (with its
process group) by `pod stop/kill/rm/pause`, and ending by itself when the pod's infra
is gone. It sleeps until the next probe is due, then runs the one-shot
`teu pod probe POD_ID` (`once` here), which runs every probe that is due once, records
what it saw in the members' rows, applies the kubelet's rules, prints how many seconds
the loop should sleep until the next due probe and exits; it exits 1 when the pod or
its infra is gone, which ends the loop. So a pod with periodSeconds 10 costs one
interpreter start per 10 s, and no Python process stays beside the pod (a `sh`, ~1 MiB,
instead of a resident interpreter of ~13.5 MB PSS).

The kubelet's rules: a probe first runs initialDelaySeconds after its container
started, then every periodSeconds, each try bounded by timeoutSeconds. Until the
startup probe succeeds the others do not run; failureThreshold startup or liveness
failures in a row kill the container (its stop signal, SIGKILL after its grace
period), and its restart policy (Always, OnFailure, Never) decides what follows.
Readiness: ready after successThreshold successes in a row, not ready after
failureThreshold failures. Each member's result is its health in the container's row
(docker's State.Health: starting / healthy = ready / unhealthy, the failing streak,
the last 5 results), which `ps`, `inspect` and `pod inspect` show; beside it, under
"Probe", the prober's own state between runs (when the container started, whether its
startup probe passed, each probe's streaks and next due time, a pending kill), which
inspect does not show. A container that restarted (a new start time) starts over.

    teu pod probe POD_ID     (hidden; what the loop runs)
"""

from __future__ import annotations

import os
import signal
import sys
import time

from teu import fastjson
from teu.engine import state as S
from teu.engine.context import Engine
from teu.engine.pods import store
from teu.engine.pods.probes import Probe, run_once
from teu.engine.pods.store import Pod

KEEP = 5
EARLY = 0.05  # s: a probe due this soon runs now (the loop's sleep is not that exact)
SHORTEST = 0.05  # s: the least the loop sleeps
WATCH_KILL = 1.0  # s: how often a container killed for its probe is looked at
IDLE = 10.0  # s: the sleep when no member is left to look at


def probes_of(pod: Pod) -> list[Probe]:
    return [Probe.from_dict(d) for d in pod.settings.get("Probes") or []]


def log_path(engine: Engine, pod_id: str) -> str:
    return os.path.join(engine.paths.runroot, "pods", f"{pod_id}.prober.log")


def loop_script(infra_pid: int, cmd: str) -> str:
    """The loop's shell text: while the infra lives, run the one-shot and sleep what it
    says; it ends when the one-shot fails (the pod or its infra is gone)."""
    alive = f"kill -0 {infra_pid} 2>/dev/null"
    return (f"while {alive}; do s=$({cmd}) || break; {alive} || break; "
            f"sleep \"${{s:-1}}\"; done")


def launch(engine: Engine, pod: Pod) -> int:
    """Start the pod's probe loop (none without probes, while one runs, or while the
    infra is down); its PID."""
    if not pod.settings.get("Probes") or running(pod):
        return 0
    infra = engine.db.get(pod.infra_id)
    infra = S.refresh(engine, infra) if infra is not None else None
    if infra is None or infra["status"] not in S.RUNNING or not infra["pid"]:
        return 0
    from teu.engine.monitor.conmon import teu_command
    from teu.engine.monitor.healthloop import quote

    cmd = " ".join(quote(a) for a in [*teu_command(engine.paths), "pod", "probe", pod.id])
    path = log_path(engine, pod.id)
    os.makedirs(os.path.dirname(path), 0o700, exist_ok=True)
    null = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
    log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
    try:
        pid = os.posix_spawn("/bin/sh", ["/bin/sh", "-c", loop_script(infra["pid"], cmd)],
                             dict(os.environ),
                             file_actions=[(os.POSIX_SPAWN_DUP2, null, 0),
                                           (os.POSIX_SPAWN_DUP2, null, 1),
                                           (os.POSIX_SPAWN_DUP2, log, 2)], setsid=True)
    finally:
        os.close(null)
        os.close(log)
    with engine.db.tx() as db:
        fresh = store.get(db, pod.id)
        if fresh is not None:
            fresh.settings["Prober"] = {"Pid": pid, "Start": S.start_time(pid)}
            store.set_settings(db, pod.id, fresh.settings)
            pod.settings = fresh.settings
    try:
        os.waitpid(pid, os.WNOHANG)  # ours until we exit; init reaps it after that
    except ChildProcessError:
        pass
    return pid


def running(pod: Pod) -> bool:
    p = pod.settings.get("Prober") or {}
    return bool(p) and S.alive(p.get("Pid") or 0, p.get("Start"))


def stop(engine: Engine, pod: Pod) -> None:
    """End the pod's probe loop and a one-shot it runs (before the pod's containers
    stop, so it restarts nothing)."""
    p = pod.settings.get("Prober") or {}
    if p and S.alive(p.get("Pid") or 0, p.get("Start")):
        try:
            os.killpg(p["Pid"], signal.SIGKILL)  # it leads its group: the one-shot goes too
        except ProcessLookupError:
            pass
        for _ in range(100):
            if not S.alive(p["Pid"], p.get("Start")):  # gone, or a zombie (no start time)
                break
            try:
                os.waitpid(p["Pid"], os.WNOHANG)
            except ChildProcessError:
                pass
            time.sleep(0.01)


def forget(engine: Engine, pod_id: str) -> None:
    try:
        os.unlink(log_path(engine, pod_id))
    except FileNotFoundError:
        pass


class Track:
    """One probe's counters since its container last started. (Plain classes here, not
    dataclasses: importing `dataclasses` would be a third of a one-shot's CPU.)"""

    def __init__(self, probe: Probe) -> None:
        self.probe = probe
        self.due = 0.0
        self.successes = 0
        self.failures = 0


class Member:
    """One probed container: its tracks and what the kubelet keeps about it."""

    def __init__(self, name: str, tracks: list[Track]) -> None:
        self.name = name
        self.tracks = tracks
        self.started_at: float | None = None
        self.started = False  # the startup probe succeeded (or there is none)
        self.ready: bool | None = None
        self.kill_at = 0.0  # SIGKILL then, after a stop signal for a failed probe
        self.pid = 0
        self.pid_start: int | None = None
        self.log: list[dict] = []

    def reset(self, started_at: float | None) -> None:
        self.started_at = started_at
        self.started = not any(t.probe.kind == "startup" for t in self.tracks)
        self.ready = None
        self.kill_at = 0.0
        for t in self.tracks:
            t.successes = t.failures = 0
            t.due = (started_at or time.time()) + t.probe.initial_delay

    def load(self, health: dict) -> None:
        """What the last one-shot left in the container's row (nothing: a fresh start)."""
        state = health.get("Probe") or {}
        tracks = state.get("Tracks") or []
        if len(tracks) != len(self.tracks):
            return
        self.started_at = state.get("StartedAt")
        self.started = bool(state.get("Started"))
        self.ready = state.get("Ready")
        self.kill_at = float(state.get("KillAt") or 0)
        self.pid, self.pid_start = state.get("KillPid") or 0, state.get("KillPidStart")
        self.log = list(health.get("Log") or [])
        for t, saved in zip(self.tracks, tracks, strict=True):
            t.due, t.successes, t.failures = saved["Due"], saved["Successes"], saved["Failures"]

    def health(self) -> dict:
        """The container's health column: docker's State.Health, pod inspect's Ready and
        the prober's state for the next run."""
        streak = max([t.failures for t in self.tracks] or [0])
        return {"Status": self.status(), "FailingStreak": streak, "Log": self.log,
                "Ready": self.is_ready(),
                "Probe": {"StartedAt": self.started_at, "Started": self.started,
                          "Ready": self.ready, "KillAt": self.kill_at, "KillPid": self.pid,
                          "KillPidStart": self.pid_start,
                          "Tracks": [{"Due": t.due, "Successes": t.successes,
                                      "Failures": t.failures} for t in self.tracks]}}

    def active(self) -> list[Track]:
        """The probes that run now: the startup probe until it passes, then the others."""
        return [t for t in self.tracks if (t.probe.kind == "startup") != self.started]

    def wait(self, now: float) -> float:
        """Seconds until this running member needs the next one-shot."""
        if self.kill_at:  # its grace period, then a look each WATCH_KILL until it is gone
            return min(WATCH_KILL, self.kill_at - now) if now < self.kill_at else WATCH_KILL
        dues = [t.due for t in self.active()]
        return min(dues) - now if dues else max(t.probe.period for t in self.tracks)

    @property
    def has_readiness(self) -> bool:
        return any(t.probe.kind == "readiness" for t in self.tracks)

    def is_ready(self) -> bool:
        """The kubelet's Ready: started, and its readiness probe passed (if it has one)."""
        return self.started and (bool(self.ready) or not self.has_readiness)

    def status(self) -> str:
        if not self.started or (self.has_readiness and self.ready is None):
            return "starting"
        return "healthy" if self.is_ready() else "unhealthy"


def _netns(infra_pid: int) -> int:
    try:
        return os.open(f"/proc/{infra_pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return -1


def _pod_ip(engine: Engine, infra) -> str:  # noqa: ANN001
    """The pod's address, as the kubelet's status.podIP: its first network's IPv4,
    else IPv6; 127.0.0.1 on --network none or host."""
    from teu.engine.network import network_settings

    try:
        nets = (network_settings(engine, infra).get("Networks") or {}).values()
    except Exception:  # noqa: BLE001 - no addresses known: loopback
        return "127.0.0.1"
    for key in ("IPAddress", "GlobalIPv6Address"):
        for n in nets:
            if n.get(key):
                return n[key]
    return "127.0.0.1"


def _exec_probe(engine: Engine, row):  # noqa: ANN001, ANN202
    from teu.engine.monitor.health import _exec_with_timeout

    return lambda command, timeout: _exec_with_timeout(engine, row, command, timeout)


def _kill(m: Member, row, now: float, why: str) -> None:  # noqa: ANN001
    """The kubelet's kill of a container whose probe failed: its stop signal now,
    SIGKILL after its grace period; not a stop by the user, so its restart policy
    applies."""
    from teu.engine.config.units import signal_number

    config = row.settings["Config"]
    sig = signal_number(config.get("StopSignal") or "SIGTERM", "--signal")
    print(f"{time.strftime('%H:%M:%S')} {row['name']}: {why}: killing it", file=sys.stderr,
          flush=True)
    try:
        os.kill(row["pid"], sig)
    except ProcessLookupError:
        return
    m.pid, m.pid_start = row["pid"], row["pid_start"]
    m.kill_at = now + max(0.0, float(config.get("StopTimeout", 10)))


def _restart_after_kill(engine: Engine, row) -> None:  # noqa: ANN001
    """The kubelet restarts a container its probe killed under OnFailure even when it
    exited 0 (it trapped the stop signal); teu's on-failure policy would not: start it
    as the exit command starts a restart (Always already did; Never stays down)."""
    policy = row.settings["HostConfig"].get("RestartPolicy") or {}
    if policy.get("Name") != "on-failure" or row["status"] != "exited" or row["exit_code"] \
            or row["stopped_by_user"]:
        return
    from teu.engine.lifecycle.launch import start_detached

    with engine.lock(row["id"]):
        fresh = engine.reload(row)
        if fresh is None or fresh["status"] != "exited" or fresh["stopped_by_user"]:
            return
        # owned by this process, as the exit command's restart owns its row: a reader
        # seeing `starting` with the old (dead) conmon as its monitor would take this
        # start for one whose teu died and undo it (state.recover) under our feet
        me = os.getpid()
        with engine.db.tx() as db:
            db.update(row["id"], status="starting", monitor_pid=me,
                      monitor_start=S.start_time(me))
        fresh = engine.reload(row)
    print(f"{time.strftime('%H:%M:%S')} {row['name']}: restarted after its probe killed it",
          file=sys.stderr, flush=True)
    start_detached(engine, fresh, restart_count=row["restart_count"] + 1)  # type: ignore[arg-type]


def _record(engine: Engine, row, m: Member, t: Track, ok: bool, out: str,  # noqa: ANN001
            start: float, end: float) -> None:
    from teu.engine.timefmt import rfc3339

    m.log = (m.log + [{"Start": rfc3339(start), "End": rfc3339(end),
                       "ExitCode": 0 if ok else 1,
                       "Output": f"{t.probe.kind}: {out}"}])[-KEEP:]


def _write(engine: Engine, cid: str, m: Member) -> None:
    with engine.db.tx() as db:
        db.update(cid, health=fastjson.dumps(m.health()))


def step(engine: Engine, m: Member, row, netns: int, host: str, now: float) -> bool:  # noqa: ANN001
    """Run what is due for one running member; whether its health changed."""
    if m.kill_at:
        if now >= m.kill_at and S.alive(m.pid, m.pid_start):
            try:
                os.kill(m.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return False
    changed = False
    for t in m.tracks:
        p = t.probe
        if p.kind != "startup" and not m.started:
            continue
        if p.kind == "startup" and m.started:
            continue
        if now < t.due:
            continue
        start = time.time()
        ok, out = run_once(p, netns, host, _exec_probe(engine, row))
        end = time.time()
        t.due = end + p.period
        if ok:
            t.successes, t.failures = t.successes + 1, 0
        else:
            t.successes, t.failures = 0, t.failures + 1
        _record(engine, row, m, t, ok, out, start, end)
        changed = True
        if p.kind == "startup":
            if ok:
                m.started = True
                now_due = time.time()
                for other in m.tracks:  # the others start after the startup probe
                    if other.probe.kind != "startup":
                        other.due = max(other.due, now_due)
            elif t.failures >= p.failure_threshold:
                _kill(m, row, end, f"startup probe failed {t.failures} times ({out})")
                return True
        elif p.kind == "liveness":
            if not ok and t.failures >= p.failure_threshold:
                _kill(m, row, end, f"liveness probe failed {t.failures} times ({out})")
                return True
        elif p.kind == "readiness":
            if ok and t.successes >= p.success_threshold:
                m.ready = True
            elif not ok and t.failures >= p.failure_threshold:
                m.ready = False
    return changed


def _endpoints(engine: Engine, pod: Pod, members: list[Member]) -> None:
    """The pod behind a spread host port takes connections only while ready (every
    probed member ready), as a Service's endpoints; nothing to do without such ports."""
    if not os.path.isdir(os.path.join(engine.paths.root, "kube", "lb")):
        return  # service_nat.records_dir: no spread port, spare the one-shot its import
    from teu.network import service_nat

    service_nat.refresh(engine.paths.root, pod.name,
                        ready=all(m.is_ready() for m in members))


def _members(engine: Engine, pod: Pod) -> list[Member]:
    groups: dict[str, list[Track]] = {}
    for p in probes_of(pod):
        groups.setdefault(p.container, []).append(Track(p))
    return [Member(name, tracks) for name, tracks in groups.items()]


def once(engine: Engine, pod_id: str) -> float | None:
    """Run every probe that is due once and act on the results; the seconds until the
    next is due, None when the pod or its infra is gone (the loop ends)."""
    try:
        return _once(engine, pod_id)
    except Exception as e:  # noqa: BLE001 - a busy database: the loop tries again soon
        print(f"{time.strftime('%H:%M:%S')} prober: {type(e).__name__}: {e}",
              file=sys.stderr, flush=True)
        return 1.0


def _once(engine: Engine, pod_id: str) -> float | None:
    pod = store.get(engine.db, pod_id)
    if pod is None:
        return None
    infra = engine.db.get(pod.infra_id)
    infra = S.refresh(engine, infra) if infra is not None else None
    if infra is None or infra["status"] not in S.RUNNING or not infra["pid"]:
        return None
    members = _members(engine, pod)
    waits: list[float] = []
    netns = _netns(infra["pid"])
    try:
        host = _pod_ip(engine, infra)
        for m in members:
            row = engine.db.by_name(m.name)
            row = S.refresh(engine, row) if row is not None else None
            if row is None:
                continue
            m.load(fastjson.loads(row["health"]) if row["health"] else {})
            # Not running: looked at again a period later, to start over once restarted.
            idle = min(t.probe.period for t in m.tracks)
            if row["status"] != "running" or not row["pid"]:
                if m.kill_at:
                    _restart_after_kill(engine, row)
                if m.started_at is not None or m.kill_at:
                    m.reset(None)
                    m.started_at = None
                    _write(engine, row["id"], m)
                waits.append(WATCH_KILL if row["status"] == "restarting" else idle)
                continue
            if row["started_at"] != m.started_at:
                m.reset(row["started_at"])
                _write(engine, row["id"], m)
            if step(engine, m, row, netns, host, time.time() + EARLY):
                _write(engine, row["id"], m)
            waits.append(m.wait(time.time()))
        _endpoints(engine, pod, members)
    except Exception as e:  # noqa: BLE001 - a busy database, a row going: try again
        print(f"{time.strftime('%H:%M:%S')} prober: {type(e).__name__}: {e}",
              file=sys.stderr, flush=True)
        waits.append(1.0)
    finally:
        if netns >= 0:
            os.close(netns)
    return max(SHORTEST, min(waits or [IDLE]))


def once_cli(engine: Engine, pod_id: str) -> int:
    """`teu pod probe POD_ID`: the sleep on stdout and 0, or 1 when the loop should end."""
    wait = once(engine, pod_id)
    if wait is None:
        print(f"teu pod probe: no pod {pod_id} with a running infra", file=sys.stderr)
        return 1
    print(f"{wait:.3f}")
    return 0
