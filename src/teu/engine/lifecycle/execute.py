"""`exec`: another process in a running container, as the container's own process was
(capabilities, seccomp, limits, env) with the flags' changes. Under teu-runtime it
runs in this process through teu.runtime.exec; under another runtime by its CLI.
"""

from __future__ import annotations

import os

from teu import fastjson
from teu.engine import state as S
from teu.engine.context import Engine
from teu.engine.errors import CommandError, Conflict, EngineError


def exec_in(engine: Engine, ref: str, command: list[str], interactive: bool = False,
            tty: bool = False, user: str | None = None, env: list[str] | None = None,
            workdir: str | None = None, detach: bool = False, privileged: bool = False,
            report: bool = True) -> int:
    """The command's exit code (0 when detached). report: dockerd's exec_create,
    exec_start and exec_die events (the Engine API and health checks report their own)."""
    from teu.engine.config import users
    from teu.engine.config.options import env_list
    from teu.engine.runtimes import for_row

    row = S.refresh(engine, engine.find(ref))
    if row is None or row["status"] not in S.RUNNING:
        raise Conflict(f"Container {ref} is not running")
    if row["status"] == "paused":
        raise Conflict(f"Container {ref} is paused, unpause the container before exec")
    if not command:
        raise EngineError("exec: no command given")
    try:
        with open(engine.paths.container(row["id"], "config.json"), "rb") as f:
            spec = fastjson.loads(f.read())
    except OSError as e:
        raise EngineError(f"exec: the container's spec is unreadable: {e.strerror}") from None
    from teu.runtime.exec import process_from_container

    process = process_from_container(spec, list(command), env_list(env or [], []) or None,
                                     workdir, None, tty)
    if user:
        uid, gid, extra, home = users.resolve(f"/proc/{row['pid']}/root", user)
        process["user"] = {"uid": uid, "gid": gid,
                           **({"additionalGids": extra} if extra else {})}
    if privileged:
        from teu.oci.runtime_config import CAPABILITIES

        process["capabilities"] = {k: list(CAPABILITIES)
                                   for k in ("bounding", "effective", "permitted")}
    if tty and "TERM=" not in " ".join(process.get("env") or []):
        process.setdefault("env", []).append("TERM=xterm")
    runtime = for_row(engine.paths, row.settings)
    if not report:
        return _exec(runtime, row["id"], process, interactive, detach, tty)
    from teu.engine.events import container as event

    exec_id = os.urandom(32).hex()
    shown = " ".join(str(c) for c in command)
    event(engine, row, "exec_create: " + shown, execID=exec_id)
    event(engine, row, "exec_start: " + shown, execID=exec_id)
    code = 126
    try:
        code = _exec(runtime, row["id"], process, interactive, detach, tty)
        return code
    except BaseException as e:
        code = getattr(e, "exit_code", 126)
        raise
    finally:
        if not detach:
            event(engine, row, "exec_die", execID=exec_id, exitCode=str(code))


def _exec(runtime, cid: str, process: dict, interactive: bool, detach: bool,  # noqa: ANN001
          tty: bool) -> int:
    if runtime.in_process:
        return _exec_in_process(runtime, cid, process, interactive, detach)
    return _exec_cli(runtime, cid, process, detach, tty)


def _exec_in_process(runtime, cid: str, process: dict, interactive: bool,  # noqa: ANN001
                     detach: bool) -> int:
    from teu.errors import TeuError
    from teu.runtime.exec import ExecOptions, exec_process

    saved = -1
    if not interactive:
        saved = os.dup(0)
        null = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
        os.dup2(null, 0)
        os.close(null)
    try:
        return exec_process(runtime.root, cid, process, ExecOptions(detach=detach))
    except TeuError as e:
        if e.exit_code in (126, 127):
            raise CommandError(str(e), e.exit_code) from None
        raise EngineError(str(e)) from None
    finally:
        if saved >= 0:
            os.dup2(saved, 0)
            os.close(saved)


def _exec_cli(runtime, cid: str, process: dict, detach: bool, tty: bool) -> int:  # noqa: ANN001
    import subprocess
    import tempfile

    if tty:
        raise EngineError(f"exec -t is not supported with --runtime {runtime.name} yet")
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        f.write(fastjson.dumps(process))
        f.flush()
        args = runtime.argv("exec", "--process", f.name, *(["--detach"] if detach else []), cid)
        p = subprocess.run(args)
    return p.returncode
