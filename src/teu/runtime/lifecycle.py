"""The verbs on an existing container: state, start, kill, delete, pause, resume, ps, list."""

from __future__ import annotations

import _signal as signal  # the C module: `signal` imports enum, ~4 ms
import errno
import os
import time

from teu import fastjson
from teu.runtime import log
from teu.runtime.state import ContainerState, StateError, list_ids


def load(root: str, container_id: str) -> ContainerState:
    return ContainerState(root, container_id).load()


def saved_config(state: ContainerState) -> dict:
    if state.config is not None:
        return state.config
    try:
        with open(os.path.join(state.dir, "config.json"), "rb") as f:
            return fastjson.loads(f.read())
    except (OSError, ValueError):
        return {}


def cgroup_of(state: ContainerState):  # noqa: ANN201
    """The container's cgroup manager, rebuilt from what create recorded (or None)."""
    if state.cgroup is not None:
        return state.cgroup
    if not state.data.get("cgroup"):
        return None
    from teu.runtime import cgroups

    return cgroups.attach(state.data["cgroup"])


def status(state: ContainerState) -> str:
    """The spec's status, asking the freezer only for a live, started container."""
    st = state.status()
    if st == "running":
        cg = cgroup_of(state)
        if cg is not None and cg.exists() and cg.frozen():
            return "paused"
    return st


def spec_state(root: str, container_id: str) -> dict:
    state = load(root, container_id)
    return state.spec_state(status(state))


def start(root: str, container_id: str) -> None:
    """Let the init exec the user's program, then run the poststart hooks."""
    state = load(root, container_id)
    st = status(state)
    if st != "created":
        raise StateError(f"cannot start container {container_id!r}: it is {st}, not created")
    start_loaded(state)


def start_loaded(state: ContainerState) -> None:
    """start, for a container whose state is already loaded and known to be created."""
    signal_start(state)
    config = saved_config(state)
    hooks = (config.get("hooks") or {}).get("poststart")
    if hooks:
        from teu.runtime.hooks import run_hooks_warn

        # The spec: a failing poststart hook is logged; the other hooks still run.
        for failure in run_hooks_warn("poststart", hooks, state.spec_state("running")):
            log.warning(failure)


def signal_start(state: ContainerState) -> None:
    try:
        fd = os.open(state.fifo, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        if e.errno == errno.ENXIO:
            raise StateError(f"container {state.id!r}: its init is gone") from None
        raise StateError(f"cannot start container {state.id!r}: {e.strerror}") from None
    try:
        os.write(fd, b"0")
    finally:
        os.close(fd)
    try:
        os.unlink(state.fifo)
    except FileNotFoundError:
        pass


def kill(root: str, container_id: str, sig: int, all_processes: bool = False) -> None:
    state = load(root, container_id)
    st = status(state)
    # --all also reaches what is left in the cgroup of a stopped container (runc does):
    # the init's death does not end processes outside its pid namespace.
    # "container not running" is runc's text, which containerd's shim reads as "already
    # gone" (not a failure) when a stop races with the init's own exit.
    if st not in ("created", "running", "paused") and not (all_processes and st == "stopped"):
        raise StateError(f"cannot kill container {container_id!r}: container not running "
                         f"({st})")
    if all_processes:
        cg = cgroup_of(state)
        if cg is not None and cg.exists():
            cg.kill_all(sig)
            return
        if st == "stopped":
            return
    try:
        os.kill(state.pid, sig)
    except ProcessLookupError:
        raise StateError(f"cannot kill container {container_id!r}: container not running "
                         "(its init is gone)") from None
    if st == "paused" and sig == signal.SIGKILL:
        cg = cgroup_of(state)  # v1: a frozen task acts on SIGKILL only once thawed (runc thaws)
        if cg is not None and cg.exists():
            cg.thaw()


def delete(root: str, container_id: str, force: bool = False) -> None:
    """Remove a stopped (or, with force, any) container: processes, cgroup, state."""
    state = ContainerState(root, container_id)
    try:
        # Waits for a create of this id still under way: then it sees a whole container,
        # or none if that create failed.
        if not state.lock():
            raise StateError(f"container {container_id!r} does not exist")
        state.load()
    except StateError:
        state.unlock()
        if force:
            return  # runc: delete --force of an unknown id succeeds
        raise
    try:
        st = status(state)
        if st in ("running", "paused") and not force:
            raise StateError(f"cannot delete container {container_id!r} that is not "
                             f"stopped: {st} (use --force)")
        destroy(state, st)
    finally:
        state.unlock()


def destroy(state: ContainerState, st: str) -> None:
    """Kill what is left, remove the cgroup, run poststop hooks, remove the state."""
    cg = cgroup_of(state)
    if st != "stopped" or (cg is not None and cg.exists() and cg.pids()):
        _kill_everything(state, cg)
    if cg is not None and cg.exists():
        cg.destroy()
    config = saved_config(state)
    hooks = (config.get("hooks") or {}).get("poststop")
    if hooks and st != "creating":
        from teu.runtime.hooks import run_hooks_warn

        for failure in run_hooks_warn("poststop", hooks, state.spec_state("stopped")):
            log.warning(failure)
    state.remove()


def _kill_everything(state: ContainerState, cg) -> None:  # noqa: ANN001
    if cg is not None and cg.exists():
        if cg.frozen():
            cg.thaw()
        cg.kill_all(signal.SIGKILL)
    if state.alive():
        try:
            os.kill(state.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 10
    while state.alive() and time.monotonic() < deadline:
        time.sleep(0.005)


def pause(root: str, container_id: str) -> None:
    state = load(root, container_id)
    st = status(state)
    if st not in ("running", "created"):
        raise StateError(f"cannot pause container {container_id!r}: container not running "
                         f"({st})")
    _require_cgroup(state).freeze()


def resume(root: str, container_id: str) -> None:
    state = load(root, container_id)
    if status(state) != "paused":
        raise StateError(f"cannot resume container {container_id!r}: it is not paused")
    _require_cgroup(state).thaw()


def _require_cgroup(state: ContainerState):  # noqa: ANN202
    cg = cgroup_of(state)
    if cg is None or not cg.exists():
        raise StateError(f"container {state.id!r} has no cgroup")
    return cg


def pids(root: str, container_id: str) -> list[int]:
    state = load(root, container_id)
    cg = cgroup_of(state)
    if cg is None or not cg.exists():
        return [state.pid] if state.alive() else []
    return sorted(cg.pids())


def list_all(root: str) -> list[dict]:
    out = []
    for cid in list_ids(root):
        try:
            state = load(root, cid)
        except StateError:
            continue
        spec = state.spec_state(status(state))
        # runc's list entry: its fields in this order (tools match the JSON as text).
        entry = {k: spec[k] for k in ("ociVersion", "id", "pid", "status", "bundle", "rootfs",
                                      "created")}
        if spec.get("annotations"):
            entry["annotations"] = spec["annotations"]
        entry["owner"] = spec.get("owner", "")
        out.append(entry)
    return out
