"""OCI hooks: run each with the container's state on stdin, honouring its timeout.

fork+execve rather than subprocess: subprocess costs ~10 ms to import and most
containers have no hooks, so the start path stays lean.
"""

from __future__ import annotations

import _signal as signal  # the C module: `signal` imports enum, ~4 ms
import os
import time

from teu import fastjson
from teu.errors import TeuError
from teu.runtime.signals import reset_signals


class HookError(TeuError):
    pass


def run_hooks(kind: str, hooks: list[dict] | None, state: dict) -> None:
    """Run the hooks of one kind in order; the first failure raises HookError."""
    for i, hook in enumerate(hooks or []):
        run_hook(f"{kind}[{i}]", hook, state)


def run_hooks_warn(kind: str, hooks: list[dict] | None, state: dict) -> list[str]:
    """Run every hook of one kind even when some fail (poststart, poststop: the spec
    wants a warning and the rest of the hooks and lifecycle to go on). Returns the
    failures, one line each."""
    failures = []
    for i, hook in enumerate(hooks or []):
        try:
            run_hook(f"{kind}[{i}]", hook, state)
        except HookError as e:
            failures.append(str(e))
    return failures


def run_hook(name: str, hook: dict, state: dict) -> None:
    path = hook["path"]
    args = hook.get("args") or [path]
    env = dict(item.split("=", 1) for item in hook.get("env") or [] if "=" in item)
    data = fastjson.dumps(state).encode()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the hook
        try:
            reset_signals()
            os.dup2(r, 0)
            os.close(w)
            os.execve(path, args, env)
        except OSError as e:
            os.write(2, f"hook {name} {path}: {e.strerror}\n".encode())
        os._exit(127)
    os.close(r)
    try:
        os.write(w, data)
    except BrokenPipeError:
        pass  # a hook need not read its stdin
    finally:
        os.close(w)
    status = _wait(pid, hook.get("timeout"))
    if status is None:
        raise HookError(f"hook {name} ({path}) timed out after {hook['timeout']}s")
    if status != 0:
        # runc's (Go's os/exec) words after ours: "error running hook", "signal: ..."
        raise HookError(f"hook {name} ({path}): error running hook: {_describe(status)}")


def _wait(pid: int, timeout: int | None) -> int | None:
    """The hook's wait status, or None after killing it at its timeout."""
    if not timeout:
        return os.waitpid(pid, 0)[1]
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.strsignal(sig) or f"signal {sig}"
        return f"signal: {name[:1].lower()}{name[1:]}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
