"""Containers as docker-py models them: `client.containers.run/create/get/list/prune`
and `Container` objects with the verbs as methods.

Where teu does what docker-py does differently, the method's docstring says so.
Everything runs in this process (no daemon): calls that start a container run in a
fork server's worker (teu.api.child), so the caller's namespaces and signals stay as they were.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from teu.api.child import Child, call, in_child, run_container
from teu.api.models.resource import Collection, Model
from teu.api.runargs import RUN_ONLY, split_command, to_options
from teu.errors import ContainerError, InvalidArgument

if TYPE_CHECKING:
    from teu.api.models.images import Image


class ExecResult(NamedTuple):
    """Container.exec_run's result, as docker-py's: (exit_code, output)."""

    exit_code: int | None
    output: Any


def _timestamp(value: Any) -> float | None:
    """docker-py's since/until: a datetime, or seconds since the epoch."""
    if value is None:
        return None
    if hasattr(value, "timestamp"):
        return float(value.timestamp())
    return float(value)


class Container(Model):
    """A container; `attrs` is `docker inspect`'s object for it (call reload() to refresh)."""

    @property
    def name(self) -> str | None:
        name = self.attrs.get("Name")
        return name.lstrip("/") if name is not None else None

    @property
    def status(self) -> str:
        state = self.attrs.get("State")
        return state["Status"] if isinstance(state, dict) else str(state)

    @property
    def labels(self) -> dict[str, str]:
        return (self.attrs.get("Config") or {}).get("Labels") or {}

    @property
    def image(self) -> Image | None:
        image_id = self.attrs.get("Image")
        return self.client.images.get(image_id) if image_id else None

    @property
    def ports(self) -> dict:
        return (self.attrs.get("NetworkSettings") or {}).get("Ports") or {}

    @property
    def health(self) -> str:
        """healthy, unhealthy, starting, or unknown when there is no health check."""
        state = self.attrs.get("State") or {}
        return (state.get("Health") or {}).get("Status", "unknown")

    def reload(self) -> None:
        self.attrs = self.client.containers.get(self.id).attrs

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        from teu.engine.lifecycle.launch import start

        in_child(call(self.client, start, self.id))

    def stop(self, timeout: float | None = None) -> None:
        from teu.engine.lifecycle.control import stop

        self.client._call(stop, self.id, timeout)

    def kill(self, signal: str | int | None = None) -> None:
        from teu.engine.lifecycle.control import kill

        self.client._call(kill, self.id, signal if signal is not None else "SIGKILL")

    def restart(self, timeout: float | None = None) -> None:
        from teu.engine.lifecycle.control import restart

        in_child(call(self.client, restart, self.id, timeout))

    def pause(self) -> None:
        from teu.engine.lifecycle.control import pause

        self.client._call(pause, self.id)

    def unpause(self) -> None:
        from teu.engine.lifecycle.control import unpause

        self.client._call(unpause, self.id)

    def remove(self, v: bool = False, link: bool = False, force: bool = False) -> None:
        """docker rm; `link` (legacy links) is refused: teu has none."""
        from teu.engine.lifecycle.remove import remove

        if link:
            raise InvalidArgument("link=True: teu has no legacy links")
        self.client._call(remove, self.id, force=force, volumes=v)

    def wait(self, timeout: float | None = None,
             condition: str = "not-running") -> dict[str, Any]:
        """{"StatusCode": N, "Error": None} once the container stops. With a timeout
        that passes first, TimeoutError (docker-py: requests' ReadTimeout)."""
        from teu.engine.lifecycle import waiting

        if condition not in ("not-running", "next-exit", "removed"):
            raise InvalidArgument(f"invalid condition: {condition!r}")

        def go(e: Any) -> int:
            if timeout is not None:
                row = waiting.wait_exit(e, e.find(self.id), timeout)
                if row is not None and not waiting.exited(row):
                    raise TimeoutError(f"container {self.short_id} still running after "
                                       f"{timeout} s")
            return waiting.wait(e, self.id, "next-exit" if condition == "next-exit"
                                else "not-running")

        code = self.client._call(go)
        if condition == "removed":
            deadline = None if timeout is None else time.monotonic() + timeout
            while self.client.containers._exists(self.id):
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"container {self.short_id} not removed after "
                                       f"{timeout} s")
                time.sleep(0.05)
        return {"StatusCode": code, "Error": None}

    def rename(self, name: str) -> None:
        from teu.engine.lifecycle.control import rename

        self.client._call(rename, self.id, name)

    def update(self, **kwargs: Any) -> dict[str, Any]:
        """docker update with docker-py's names (mem_limit, memswap_limit, cpu_shares,
        cpuset_cpus, nano_cpus, cpu_quota/cpu_period, pids_limit, restart_policy)."""
        from teu.engine.lifecycle.update import update

        known = {"mem_limit": "memory", "memswap_limit": "memory_swap",
                 "cpu_shares": "cpu_shares", "cpuset_cpus": "cpuset_cpus",
                 "pids_limit": "pids_limit", "restart_policy": "restart",
                 "nano_cpus": "cpus"}
        opts: dict = {}
        quota, period = kwargs.pop("cpu_quota", None), kwargs.pop("cpu_period", None)
        if quota is not None:
            opts["cpus"] = str(quota / (period or 100000))
        for key, value in kwargs.items():
            if key not in known:
                raise TypeError(f"update() got an unexpected keyword argument {key!r}")
            if key == "restart_policy":
                from teu.api.runargs import _restart

                value = _restart(value)
            elif key == "nano_cpus":
                value = str(int(value) / 1e9)
            opts[known[key]] = value
        self.client._call(update, self.id, opts)
        return {"Warnings": []}

    # -- output ---------------------------------------------------------------------

    def logs(self, stdout: bool = True, stderr: bool = True, stream: bool = False,
             timestamps: bool = False, tail: str | int = "all", since: Any = None,
             follow: bool | None = None, until: Any = None) -> bytes | Iterator[bytes]:
        """The log as bytes, or with stream=True an iterator of chunks as the container
        writes them (follow defaults to stream, as in docker-py)."""
        if follow is None:
            follow = stream
        chunks = self._log_chunks(stdout, stderr, timestamps, tail, since, follow, until)
        return chunks if stream else b"".join(chunks)

    def _log_chunks(self, stdout: bool, stderr: bool, timestamps: bool, tail: str | int,
                    since: Any, follow: bool, until: Any) -> Iterator[bytes]:
        from teu.engine.monitor import logs as L
        from teu.engine.views.logs_cmd import batches

        wanted = {s for s, on in (("stdout", stdout), ("stderr", stderr)) if on}
        n = None if tail in ("all", None) else int(tail)
        e = self.client._engine()
        try:
            for batch in batches(e, self.id, follow, n, _timestamp(since), _timestamp(until)):
                for r in batch:
                    if r.stream in wanted:
                        yield L.format_record(r, timestamps)
        finally:
            e.close()

    def attach(self, stdout: bool = True, stderr: bool = True, stream: bool = False,
               logs: bool = False) -> bytes | Iterator[bytes]:
        """Output from now on (with logs=True, from the start) until the container
        stops. teu reads the container's log, so nothing is lost between calls."""
        since = None if logs else time.time()
        chunks = self._log_chunks(stdout, stderr, False, "all", since, True, None)
        return chunks if stream else b"".join(chunks)

    def exec_run(self, cmd: str | list[str], stdout: bool = True, stderr: bool = True,
                 stdin: bool = False, tty: bool = False, privileged: bool = False,
                 user: str = "", detach: bool = False, stream: bool = False,
                 socket: bool = False, environment: dict | list | None = None,
                 workdir: str | None = None, demux: bool = False) -> ExecResult:
        """docker exec: ExecResult(exit_code, output). A string command is split like a
        shell (docker-py's rule). With stream=True the output is an iterator of chunks
        and exit_code is None. teu has no exec socket: socket=True is refused, and
        stdin=True gives the command an empty stdin."""
        from teu.api.runargs import _pairs
        from teu.engine.lifecycle.execute import exec_in

        if socket:
            raise InvalidArgument("socket=True: teu has no exec socket; use stream=True")
        if tty:
            raise InvalidArgument("tty=True: exec_run has no terminal to give; teu runs "
                                  "the command without one")
        command = split_command(cmd)
        env = _pairs(environment, "environment") if environment is not None else None
        go = call(self.client, exec_in, self.id, command or [], interactive=stdin,
                  user=user or None, env=env, workdir=workdir, detach=detach,
                  privileged=privileged)

        if detach:
            in_child(go)
            return ExecResult(None, b"")
        if stream:
            return ExecResult(None, _stream_child(go, stdout, stderr))
        if demux:
            code, out, err = in_child(go, capture=True)
            return ExecResult(code, (out if stdout and out else None,
                                     err if stderr and err else None))
        if stdout and stderr:
            code, both = in_child(go, capture="combined")
            return ExecResult(code, both)
        code, out, err = in_child(go, capture=True)
        return ExecResult(code, out if stdout else err if stderr else b"")

    # -- files ----------------------------------------------------------------------

    def put_archive(self, path: str, data: bytes | Any) -> bool:
        """Extract a tar (bytes or a binary file) into the directory `path`."""
        from teu.engine.files.cp import copy

        payload = data if isinstance(data, (bytes, bytearray)) else data.read()
        in_child(call(self.client, copy, "-", f"{self.id}:{path}"), stdin=bytes(payload))
        return True

    def get_archive(self, path: str, chunk_size: int | None = 2 * 1024 * 1024,
                    encode_stream: bool = False) -> tuple[Iterator[bytes], dict]:
        """(chunks of a tar holding `path`, its stat as docker's X-Docker-Container-Path-Stat)."""
        import io
        import tarfile

        from teu.engine.files.cp import copy

        _, tar = in_child(call(self.client, copy, f"{self.id}:{path}", "-"),
                          capture="combined")
        with tarfile.open(fileobj=io.BytesIO(tar)) as t:
            first = t.next()
        from teu.engine.files.cp import path_stat

        stat = path_stat(first) if first is not None else {}
        size = chunk_size or len(tar) or 1
        return iter([tar[i:i + size] for i in range(0, len(tar), size)] or [b""]), stat

    def export(self, chunk_size: int | None = 2 * 1024 * 1024) -> Iterator[bytes]:
        """The container's filesystem as a tar, in chunks."""
        import tempfile

        from teu.engine.files.export import export

        size = chunk_size or 2 * 1024 * 1024
        with tempfile.TemporaryFile() as f:
            self.client._call(export, self.id, f.fileno())
            f.seek(0)
            chunks = []
            while True:
                chunk = f.read(size)
                if not chunk:
                    break
                chunks.append(chunk)
        return iter(chunks)

    def diff(self) -> list[dict[str, Any]]:
        """[{"Path": p, "Kind": 0 changed | 1 added | 2 deleted}], as the Engine API."""
        from teu.engine.files.diff import changes

        kinds = {"C": 0, "A": 1, "D": 2}
        return [{"Path": p, "Kind": kinds[k]} for k, p in self.client._call(changes, self.id)]

    def commit(self, repository: str | None = None, tag: str | None = None,
               message: str = "", author: str = "", changes: str | list[str] | None = None,
               conf: dict | None = None, pause: bool = True) -> Image:
        """docker commit; returns the new Image. `conf` (a raw container config) is
        refused: teu takes `changes` (Dockerfile instructions) instead."""
        from teu.engine.files.commit import commit

        if conf:
            raise InvalidArgument("conf: pass Dockerfile instructions in changes instead")
        name = None
        if repository:
            name = f"{repository}:{tag}" if tag else repository
        if isinstance(changes, str):
            changes = [c for c in changes.splitlines() if c.strip()]
        image_id = self.client._call(commit, self.id, name, changes or [], message, author,
                                     pause)
        return self.client.images.get(image_id)

    # -- views ----------------------------------------------------------------------

    def top(self, ps_args: str | None = None) -> dict[str, Any]:
        from teu.engine.views.top import top

        titles, rows = self.client._call(top, self.id, ps_args.split() if ps_args else None)
        return {"Titles": titles, "Processes": rows}

    def stats(self, decode: bool | None = None, stream: bool = True,
              one_shot: bool | None = None) -> Any:
        """The Engine API's stats objects: one dict with stream=False, else an iterator
        (of JSON bytes, or of dicts with decode=True) with a sample per second."""
        import json

        from teu.engine.views import stats as ST

        def sample(previous: dict | None) -> tuple[dict, dict | None]:
            e = self.client._engine()
            try:
                row = ST.rows_for(e, [self.id], True)[0]
                now = ST._safe_sample(e, row)
                return ST.api_entry(row, previous, now), now
            finally:
                e.close()

        if not stream:
            first = None if one_shot else sample(None)[1]
            if first is not None:
                time.sleep(0.5)
            return sample(first)[0]

        def gen() -> Iterator[Any]:
            previous = None
            while True:
                entry, previous = sample(previous)
                yield entry if decode else json.dumps(entry).encode() + b"\n"
                if previous is None:
                    return
                time.sleep(1)

        return gen()


def _stream_child(fn: Any, stdout: bool, stderr: bool) -> Iterator[bytes]:
    """Run fn in a child whose output goes to a pipe; yield what it writes."""
    r, w = os.pipe()
    null = os.open("/dev/null", os.O_WRONLY)
    try:
        child = Child(fn, stdout=w if stdout else null, stderr=w if stderr else null)
    finally:
        os.close(w)
        os.close(null)

    def gen() -> Iterator[bytes]:
        try:
            while True:
                chunk = os.read(r, 65536)
                if not chunk:
                    break
                yield chunk
        finally:
            os.close(r)
            child.result()

    return gen()


class ContainerCollection(Collection):
    model = Container

    def run(self, image: str | Image, command: str | list[str] | None = None,
            stdout: bool = True, stderr: bool = False, remove: bool = False,
            **kwargs: Any) -> Any:
        """docker run. In the foreground: the output (bytes) once the container exits,
        ContainerError if it exits non-zero. detach=True: a Container.
        stream=True: an iterator of output chunks as the container writes them (docker-py
        waits for the exit before returning its iterator; teu streams live, and raises
        ContainerError at the end of the iteration on a non-zero exit)."""
        stream = bool(kwargs.pop("stream", False))
        image_ref = getattr(image, "id", image)
        detach = bool(kwargs.get("detach"))
        if detach and remove:  # docker-py: both means auto_remove on API >= 1.25
            kwargs["auto_remove"] = True
            remove = False
        opts = to_options({**kwargs, "image": image_ref, "command": command}, "run")
        if detach:
            return self.get(self._start(opts))
        if stream:
            opts["detach"] = True
            cid = self._start(opts)
            return self._stream_run(cid, command, str(image_ref), stdout, stderr, remove)
        # Both streams in the order written come from the container's log, which a
        # removed container no longer has: then teu removes it after reading.
        both = stdout and stderr
        auto_remove = remove or bool(opts.get("rm"))
        opts["rm"] = auto_remove and not both
        result, out, err = self._run_foreground(opts)
        cid, code = result["id"], result["code"]
        if both:
            container = Container(self.client, {"Id": cid})
            out = container.logs(stdout=True, stderr=True)
            if auto_remove:
                container.remove(force=True)
        if code != 0:
            raise ContainerError(self._sparse(cid), code, command, str(image_ref), err)
        return out if stdout else err if stderr else b""

    def _start(self, opts: dict) -> str:
        return in_child(call(self.client, run_container, opts))["id"]

    def _run_foreground(self, opts: dict) -> tuple[dict, bytes, bytes]:
        return in_child(call(self.client, run_container, opts), capture=True)

    def _stream_run(self, cid: str, command: Any, image: str, stdout: bool, stderr: bool,
                    remove: bool) -> Iterator[bytes]:
        container = Container(self.client, {"Id": cid})
        yield from container.logs(stdout=stdout, stderr=stderr, stream=True, follow=True)
        code = container.wait()["StatusCode"]
        err = container.logs(stdout=False, stderr=True) if code else None
        if remove:
            container.remove(force=True)
        if code:
            raise ContainerError(container, code, command, image, err)

    def create(self, image: str | Image, command: str | list[str] | None = None,
               **kwargs: Any) -> Container:
        """docker create: a Container, not started."""
        from teu.engine.pods.new import create

        for key in RUN_ONLY:
            if key in kwargs:
                raise TypeError(f"create() got an unexpected keyword argument {key!r}")
        opts = to_options({**kwargs, "image": getattr(image, "id", image),
                           "command": command}, "create")
        return self.get(self.client._call(create, opts)["id"])

    def get(self, container_id: str) -> Container:
        """A Container by ID, name or unique ID prefix; NotFound if there is none."""
        from teu.engine import state
        from teu.engine.errors import NotFound
        from teu.engine.views.inspect import container as inspect_container

        def go(e: Any) -> dict:
            row = state.refresh(e, e.find(container_id))
            if row is None:
                raise NotFound(f"No such container: {container_id}")
            return inspect_container(e, row)

        return Container(self.client, self.client._call(go))

    def _exists(self, container_id: str) -> bool:
        from teu.errors import NotFound

        try:
            self.client._call(lambda e: e.find(container_id))
            return True
        except NotFound:
            return False

    def _sparse(self, cid: str) -> Container:
        try:
            return self.get(cid)
        except Exception:  # noqa: BLE001 - removed (remove=True): what we know of it
            return Container(self.client, {"Id": cid})

    def list(self, all: bool = False, before: str | None = None,
             filters: dict | None = None, limit: int = -1, since: str | None = None,
             sparse: bool = False, ignore_removed: bool = False) -> list[Container]:
        """docker ps as Containers; filters as docker-py takes them ({"name": "x",
        "label": ["a=b"], "status": "exited", ...})."""
        from teu.engine.views.listing import listing
        from teu.errors import NotFound

        flat = _filters(filters)
        if before:
            flat.append(f"before={before}")
        if since:
            flat.append(f"since={since}")
        rows = self.client._call(listing, all_=all or bool(before or since) or limit > 0,
                                 filters=flat, last=limit if limit > 0 else None,
                                 no_trunc=True)
        if sparse:
            return [Container(self.client, {"Id": r["ID"], "Name": "/" + r["Names"]})
                    for r in rows]
        out = []
        for r in rows:
            try:
                out.append(self.get(r["ID"]))
            except NotFound:
                if not ignore_removed:
                    raise
        return out

    def prune(self, filters: dict | None = None) -> dict[str, Any]:
        """docker container prune: {"ContainersDeleted": [...], "SpaceReclaimed": N}."""
        from teu.engine.lifecycle.prune import prune_containers

        if filters:
            raise InvalidArgument("container prune filters are not supported by teu yet")
        deleted, freed = self.client._call(prune_containers)
        return {"ContainersDeleted": deleted or None, "SpaceReclaimed": freed}


def _filters(filters: dict | None) -> list[str]:
    """docker-py's filter dict -> ["key=value", ...] (a list value repeats the key)."""
    out = []
    for key, value in (filters or {}).items():
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(v, bool):
                v = str(v).lower()
            out.append(f"{key}={v}")
    return out
