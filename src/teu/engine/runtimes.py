"""The OCI runtime a container runs under: teu-runtime (driven in-process where the
engine waits anyway) or another runc-compatible binary (runc, crun) by its CLI.

Each runtime keeps its state under <runroot>/<name> (teu-runtime: <runroot>/runtime).
"""

from __future__ import annotations

import os
import sys

from teu.engine.errors import EngineError
from teu.engine.paths import Paths

DEFAULT = "teu-runtime"


def find_program(name: str) -> str | None:
    """A program next to this interpreter (the venv's or pyenv's bin) or on PATH."""
    if os.path.isabs(name):
        return name if os.access(name, os.X_OK) else None
    here = os.path.join(os.path.dirname(sys.executable), name)
    if os.access(here, os.X_OK):
        return here
    import shutil

    found = shutil.which(name)
    return os.path.realpath(found) if found and "/shims/" in found else found


class Runtime:
    def __init__(self, paths: Paths, name: str = DEFAULT) -> None:
        self.name = os.path.basename(name)
        path = find_program(name)
        if path is None:
            raise EngineError(f"OCI runtime {name!r} not found (install it or pass "
                              "--runtime with a path)")
        self.path = path
        self.root = paths.runtime_root(name)
        self.in_process = self.name == DEFAULT

    def argv(self, *args: str) -> list[str]:
        return [self.path, "--root", self.root, *args]

    def _run(self, *args: str, check: bool = True) -> tuple[int, str]:
        import subprocess

        p = subprocess.run(self.argv(*args), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True)
        if check and p.returncode != 0:
            msg = (p.stderr.strip().splitlines() or [f"exit status {p.returncode}"])[-1]
            raise EngineError(f"{self.name} {args[0]}: {msg}")
        return p.returncode, p.stdout

    def start(self, cid: str) -> None:
        if self.in_process:
            from teu.runtime.lifecycle import start

            start(self.root, cid)
        else:
            self._run("start", cid)

    def kill(self, cid: str, sig: int, all_processes: bool = False) -> None:
        if self.in_process:
            from teu.runtime.lifecycle import kill

            kill(self.root, cid, sig, all_processes)
        else:
            self._run("kill", *(["--all"] if all_processes else []), cid, str(sig))

    def delete(self, cid: str) -> None:
        """Remove the runtime's state and cgroup, killing what is left; no error if unknown."""
        if self.in_process:
            from teu.runtime.lifecycle import delete

            delete(self.root, cid, force=True)
        else:
            self._run("delete", "--force", cid, check=False)

    def status(self, cid: str) -> str | None:
        """The runtime's status of the container (created, running, ...), None if unknown."""
        if self.in_process:
            from teu.runtime.lifecycle import load, status
            from teu.runtime.state import StateError

            try:
                return status(load(self.root, cid))
            except StateError:
                return None
        from teu import fastjson

        code, out = self._run("state", cid, check=False)
        if code != 0:
            return None
        try:
            return fastjson.loads(out).get("status")
        except (ValueError, AttributeError):
            return None

    def pause(self, cid: str) -> None:
        if self.in_process:
            from teu.runtime.lifecycle import pause

            pause(self.root, cid)
        else:
            self._run("pause", cid)

    def resume(self, cid: str) -> None:
        if self.in_process:
            from teu.runtime.lifecycle import resume

            resume(self.root, cid)
        else:
            self._run("resume", cid)

    def pids(self, cid: str) -> list[int]:
        if self.in_process:
            from teu.runtime.lifecycle import pids

            return pids(self.root, cid)
        from teu import fastjson

        _, out = self._run("ps", "--format", "json", cid)
        return list(fastjson.loads(out or "[]") or [])

    def cgroup_dirs(self, cid: str) -> dict | None:
        """The container's cgroup directories as teu-runtime recorded them (for stats)."""
        from teu.runtime.state import ContainerState, StateError

        try:
            return ContainerState(self.root, cid).load().data.get("cgroup")
        except (StateError, OSError):
            return None


def for_row(paths: Paths, settings: dict) -> Runtime:
    return Runtime(paths, settings["HostConfig"].get("Runtime") or DEFAULT)
