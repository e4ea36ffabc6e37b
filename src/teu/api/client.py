"""teu.api.Client: one method per container verb (see teu.api)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from teu.api.child import in_child


class RunResult:
    """A finished foreground run (exit_code, output) or a started detached one (id)."""

    def __init__(self, id: str, exit_code: int | None, stdout: bytes = b"",
                 stderr: bytes = b"") -> None:
        self.id = id
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self) -> str:
        return f"RunResult(id={self.id[:12]!r}, exit_code={self.exit_code})"


class ExecResult:
    def __init__(self, exit_code: int, stdout: bytes, stderr: bytes) -> None:
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self) -> str:
        return f"ExecResult(exit_code={self.exit_code})"


class Client:
    def __init__(self, root: str | None = None, runroot: str | None = None) -> None:
        from teu.engine.paths import Paths

        p = Paths(root, runroot)
        self.root = p.root
        self.runroot = p.runroot

    def _engine(self):  # noqa: ANN202
        from teu.engine.context import Engine

        return Engine(self.root, self.runroot)

    def _call(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        e = self._engine()
        try:
            return fn(e, *args, **kw)
        finally:
            e.close()

    # -- containers ---------------------------------------------------------------

    def run(self, image: str, command: list[str] | str | None = None, *,
            detach: bool = False, remove: bool = False, stdin: bytes | None = None,
            **options: Any) -> RunResult:
        """docker run. Foreground: waits, returns the exit code and the captured output
        (stdin, if given, is the container's input). Detached: returns once it runs."""
        from teu.engine.lifecycle.run import run

        opts = _options(image, command, options)
        opts["detach"] = detach
        opts["rm"] = remove or options.get("rm", False)
        if stdin is not None:
            opts["interactive"] = True

        def go() -> Any:
            e = self._engine()
            cid, code = run(e, opts)
            return {"id": cid, "code": code}

        if detach:
            result = in_child(go, stdin=stdin)
            return RunResult(result["id"], None)
        result, out, err = in_child(go, stdin=stdin, capture=True)
        return RunResult(result["id"], result["code"], out, err)

    def create(self, image: str, command: list[str] | str | None = None,
               **options: Any) -> str:
        from teu.engine.lifecycle.create import create

        return self._call(create, _options(image, command, options))["id"]

    def start(self, container: str) -> None:
        from teu.engine.lifecycle.launch import start

        def go() -> Any:
            return start(self._engine(), container)

        in_child(go)

    def restart(self, container: str, timeout: float | None = None) -> None:
        from teu.engine.lifecycle.control import restart

        def go() -> Any:
            restart(self._engine(), container, timeout)

        in_child(go)

    def stop(self, container: str, timeout: float | None = None,
             signal: str | int | None = None) -> None:
        from teu.engine.lifecycle.control import stop

        self._call(stop, container, timeout, signal)

    def kill(self, container: str, signal: str | int = "SIGKILL") -> None:
        from teu.engine.lifecycle.control import kill

        self._call(kill, container, signal)

    def remove(self, container: str, force: bool = False, volumes: bool = False) -> None:
        from teu.engine.lifecycle.remove import remove

        self._call(remove, container, force=force, volumes=volumes)

    def wait(self, container: str) -> int:
        from teu.engine.lifecycle.control import wait

        return self._call(wait, container)

    def pause(self, container: str) -> None:
        from teu.engine.lifecycle.control import pause

        self._call(pause, container)

    def unpause(self, container: str) -> None:
        from teu.engine.lifecycle.control import unpause

        self._call(unpause, container)

    def rename(self, container: str, name: str) -> None:
        from teu.engine.lifecycle.control import rename

        self._call(rename, container, name)

    def ps(self, all: bool = False, filters: list[str] | None = None) -> list[dict]:
        """docker ps's rows (ID, Image, Command, Status, Names, State, ...)."""
        from teu.engine.views.listing import listing

        return self._call(listing, all_=all, filters=filters or [], no_trunc=True)

    def inspect(self, container: str) -> dict:
        from teu.engine import state
        from teu.engine.errors import NotFound
        from teu.engine.views.inspect import container as inspect_container

        def go(e: Any) -> dict:
            row = state.refresh(e, e.find(container))
            if row is None:
                raise NotFound(f"No such container: {container}")
            return inspect_container(e, row)

        return self._call(go)

    def logs(self, container: str, tail: int | None = None, since: float | None = None,
             until: float | None = None, timestamps: bool = False) -> tuple[bytes, bytes]:
        """(stdout, stderr) of the container's log."""
        from teu.engine.views.logs_cmd import logs

        return _captured(lambda out, err: self._call(
            logs, container, tail=tail, since=since, until=until, timestamps=timestamps,
            out=out, err=err))

    def exec(self, container: str, command: list[str] | str, *, user: str | None = None,
             env: list[str] | None = None, workdir: str | None = None, detach: bool = False,
             privileged: bool = False, stdin: bytes | None = None) -> ExecResult:
        from teu.engine.lifecycle.execute import exec_in

        cmd = ["sh", "-c", command] if isinstance(command, str) else list(command)

        def go() -> Any:
            return exec_in(self._engine(), container, cmd, interactive=stdin is not None,
                           user=user, env=env, workdir=workdir, detach=detach,
                           privileged=privileged)

        code, out, err = in_child(go, stdin=stdin, capture=True)
        return ExecResult(code, out, err)

    def top(self, container: str, ps_args: list[str] | None = None) -> dict:
        """{"Titles": [...], "Processes": [[...], ...]} as docker's API returns."""
        from teu.engine.views.top import top

        titles, rows = self._call(top, container, ps_args)
        return {"Titles": titles, "Processes": rows}

    def stats(self, container: str) -> dict:
        """One sample of docker stats' columns (CPU over half a second)."""
        from teu.engine.views import stats as ST

        def go(e: Any) -> dict:
            return ST.collect(e, ST.rows_for(e, [container], True))[0][0]

        return self._call(go)

    def copy(self, src: str, dest: str) -> None:
        """docker cp: one side is CONTAINER:PATH."""
        from teu.engine.files.cp import copy

        self._call(copy, src, dest)

    def diff(self, container: str) -> list[tuple[str, str]]:
        """[(kind, path)]: A added, C changed, D deleted."""
        from teu.engine.files.diff import changes

        return self._call(changes, container)

    def commit(self, container: str, name: str | None = None,
               changes: list[str] | None = None, message: str = "", author: str = "",
               pause: bool = True) -> str:
        from teu.engine.files.commit import commit

        return self._call(commit, container, name, changes, message, author, pause)

    def export(self, container: str, path: str) -> None:
        """The container's filesystem as a tar file at path."""
        from teu.engine.files.export import export

        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            self._call(export, container, fd)
        finally:
            os.close(fd)

    def update(self, container: str, **options: Any) -> None:
        """Resource limits (memory, memory_swap, cpus, cpu_shares, cpuset_cpus,
        pids_limit) and the restart policy."""
        from teu.engine.lifecycle.update import update

        self._call(update, container, options)

    def healthcheck(self, container: str) -> str:
        from teu.engine.monitor.health import run_check

        return self._call(run_check, container)

    def df(self) -> list[dict]:
        from teu.engine.views.system import df

        return self._call(df)

    def info(self) -> dict:
        from teu.engine.views.system import info

        return self._call(info)

    def system_prune(self, all_images: bool = False, volumes: bool = False) -> dict:
        from teu.engine.views.system import prune

        return self._call(prune, all_images, volumes)

    def prune(self) -> list[str]:
        """docker container prune: the IDs removed."""
        from teu.engine.lifecycle.prune import prune_containers

        return self._call(prune_containers)[0]

    # -- volumes ------------------------------------------------------------------

    def volume_create(self, name: str | None = None, labels: dict | None = None) -> str:
        from teu.engine.storage import volumes

        return self._call(lambda e: volumes.create(e.paths, e.db, name, labels,
                                                   exist_ok=True))

    def volumes(self) -> list[dict]:
        from teu.engine.storage import volumes

        return self._call(lambda e: [volumes.inspect(e.paths, e.db, v["name"])
                                     for v in e.db.volumes()])

    def volume_inspect(self, name: str) -> dict:
        from teu.engine.storage import volumes

        return self._call(lambda e: volumes.inspect(e.paths, e.db, name))

    def volume_remove(self, name: str, force: bool = False) -> None:
        from teu.engine.storage import volumes

        self._call(lambda e: volumes.remove(e.paths, e.db, name, force))

    def volume_prune(self, all: bool = False) -> list[str]:
        from teu.engine.storage import volumes

        return self._call(lambda e: volumes.prune(e.paths, e.db, all))[0]


def _options(image: str, command: list[str] | str | None, options: dict) -> dict:
    opts = dict(options)
    opts["image"] = image
    if isinstance(command, str):
        command = ["sh", "-c", command]
    opts["command"] = list(command) if command else None
    return opts


def _captured(fn: Callable[[int, int], Any]) -> tuple[bytes, bytes]:
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        fn(out.fileno(), err.fileno())
        out.seek(0)
        err.seek(0)
        return out.read(), err.read()



