"""client.sandbox.run: untrusted code in a container with every limit on, in one call.

Threat model (README "Sandboxing untrusted code"): the code is hostile and may try
to exhaust resources, reach the network, write where it should not, read the host's
files, or escape. What stands in its way, all on by default:

- no network at all (its own empty network namespace: only a down loopback);
- a read-only root filesystem, a small tmpfs /tmp (noexec is not set: interpreted code
  there is still code), and the caller's `files` read-only at /sandbox;
- an unprivileged user (nobody, 65534:65534), every capability dropped, no-new-privileges,
  docker's default seccomp profile, masked /proc paths, its own pid/ipc/uts/mount namespaces;
- cgroup limits: memory (no swap), CPUs, a pids limit that stops fork bombs;
- a wall-clock timeout after which everything in the container is killed.

What it does not defend against: kernel vulnerabilities (the container shares the
host's kernel: for code that may carry kernel exploits use a VM), side channels,
and whatever the chosen image itself contains. The result says whether the run was
killed and why (timeout, out of memory), and what it used.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from teu.api.child import Child, call, run_container
from teu.errors import InvalidArgument

if TYPE_CHECKING:
    from teu.api.client import Client

NOBODY = "65534:65534"


@dataclass
class SandboxResult:
    """What a sandboxed run did. `reason` is "timeout" or "oom" when it was killed."""

    stdout: bytes
    stderr: bytes
    exit_code: int
    killed: bool
    reason: str | None
    duration: float          # wall-clock seconds
    cpu_seconds: float       # user + system time of everything that ran
    max_rss_bytes: int       # the largest resident set of any process in it

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.killed


class Sandbox:
    def __init__(self, client: Client) -> None:
        self.client = client

    def run(self, code_or_cmd: str | list[str], *, image: str,
            timeout: float = 10.0, memory: str | int = "256m", cpus: float = 1.0,
            pids: int = 64, network: bool = False, files: dict[str, bytes | str] | None = None,
            interpreter: list[str] | None = None, env: dict[str, str] | None = None,
            stdin: bytes | None = None, tmp_size: str = "64m",
            user: str = NOBODY) -> SandboxResult:
        """Run code (a shell snippet, or with `interpreter`, that program's source) or a
        command (a list) in `image` with every limit on; never raises for what the code
        does, only for bad arguments or a broken engine."""
        if timeout <= 0:
            raise InvalidArgument("timeout must be positive")
        if user in ("", "0", "root") or user.startswith(("0:", "root:")):
            raise InvalidArgument("the sandbox never runs code as root")
        name = f"teu-sandbox-{uuid.uuid4().hex[:12]}"
        staging = tempfile.mkdtemp(prefix="sandbox-", dir=self._tmp_dir())
        try:
            command = self._stage(staging, code_or_cmd, interpreter, files or {})
            opts = {
                "image": image, "command": command, "name": name,
                "network": "bridge" if network else "none",
                "read_only": True, "user": user, "workdir": "/sandbox",
                "tmpfs": [f"/tmp:rw,nosuid,nodev,size={tmp_size},mode=1777"],
                "volume": [f"{staging}:/sandbox:ro"],
                "cap_drop": ["ALL"], "security_opt": ["no-new-privileges"],
                "memory": memory, "memory_swap": memory, "cpus": str(cpus),
                "pids_limit": str(pids), "env": [f"{k}={v}" for k, v in (env or {}).items()],
                "interactive": stdin is not None,
            }
            return self._run(name, opts, timeout, stdin)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _tmp_dir(self) -> str:
        path = os.path.join(self.client.root, "tmp")
        os.makedirs(path, mode=0o711, exist_ok=True)
        os.chmod(path, 0o711)  # nobody must reach the staging dir below it
        return path

    @staticmethod
    def _stage(staging: str, code: str | list[str], interpreter: list[str] | None,
               files: dict[str, bytes | str]) -> list[str]:
        os.chmod(staging, 0o755)
        for rel, content in files.items():
            path = os.path.normpath(os.path.join(staging, rel.lstrip("/")))
            if not path.startswith(staging + os.sep):
                raise InvalidArgument(f"files: {rel!r} is outside the sandbox directory")
            os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
            with open(path, "wb") as f:
                f.write(content.encode() if isinstance(content, str) else content)
            os.chmod(path, 0o644)
        if isinstance(code, list):
            return list(code)
        if interpreter:
            with open(os.path.join(staging, ".main"), "w") as f:
                f.write(code)
            os.chmod(os.path.join(staging, ".main"), 0o644)
            return [*interpreter, "/sandbox/.main"]
        return ["sh", "-c", code]

    def _run(self, name: str, opts: dict, timeout: float, stdin: bytes | None) -> SandboxResult:
        client = self.client
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
                tempfile.TemporaryFile() as inp:
            if stdin is not None:
                inp.write(stdin)
                inp.seek(0)

            started = time.monotonic()
            child = Child(call(client, run_container, opts), stdin=inp.fileno() if stdin is not None else None,
                          stdout=out.fileno(), stderr=err.fileno())
            timed_out = not child.ready(started + timeout)
            if timed_out:
                self._kill(name, child)
            try:
                code = child.result()["code"]
            finally:
                duration = time.monotonic() - started
                oom = self._oom_and_remove(name)
            out.seek(0)
            err.seek(0)
            ru = child.rusage
            reason = "timeout" if timed_out else "oom" if oom else None
            return SandboxResult(out.read(), err.read(), code, reason is not None, reason,
                                 duration, ru.ru_utime + ru.ru_stime if ru else 0.0,
                                 (ru.ru_maxrss * 1024) if ru else 0)

    def _kill(self, name: str, child: Child) -> None:
        from teu.engine.lifecycle.control import kill
        from teu.errors import TeuError

        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # it may still be starting, or just ended
            try:
                self.client._call(kill, name, "SIGKILL")
                return
            except TeuError:
                if child.ready(time.monotonic() + 0.05):
                    return

    def _oom_and_remove(self, name: str) -> bool:
        from teu.engine.lifecycle.remove import remove
        from teu.errors import NotFound

        try:
            oom = bool(self.client.containers.get(name).attrs["State"].get("OOMKilled"))
        except NotFound:
            return False
        self.client._call(remove, name, force=True, volumes=True)
        return oom

