"""What runc's own integration suite (v1.1.5 bats) checks, one lean test per behaviour.

Each test here failed before the fix it guards (issue 18); the bats suite itself is
run by hand (docs/conformance.md), never from here.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import threading

from tests.integration.test_seccomp_kernel import answer_one


def _run_d(runtime, bundle) -> str:  # noqa: ANN001
    cid = runtime.new_id()
    runtime("run", "-d", "-b", str(bundle.path), cid, check=True)
    return cid


# --- seccomp: SCMP_ACT_NOTIFY hands the listener fd to listenerPath -----------------------

class Agent:
    """A seccomp agent on a unix socket: takes each fd with its state, fails one mkdir
    with ENOMEDIUM, and closes the fd (the container's later notified calls: ENOSYS)."""

    def __init__(self, path: str) -> None:
        self.messages: list[dict] = []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(4)
        self.server.settimeout(20)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            while True:
                conn, _ = self.server.accept()
                with conn:
                    msg, fds, _, _ = socket.recv_fds(conn, 65536, 1)
                self.messages.append(json.loads(msg))
                try:
                    answer_one(fds[0], errno.ENOMEDIUM)
                finally:
                    os.close(fds[0])
        except OSError:
            return

    def close(self) -> None:
        self.server.close()


def test_seccomp_notify_fd_goes_to_the_agent_for_run_and_exec(runtime, make_bundle, tmp_path):
    agent = Agent(str(tmp_path / "agent.sock"))
    try:
        b = make_bundle(["sh", "-c", "mkdir /tmp/a; sleep 300"])
        b.config["process"]["noNewPrivileges"] = True  # the late (nnp) load point
        b.config["linux"]["seccomp"] = {
            "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": str(tmp_path / "agent.sock"),
            "listenerMetadata": "meta", "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}
        b.save()
        cid = _run_d(runtime, b)
        p = runtime("exec", cid, "sh", "-c", "mkdir /tmp/b; mkdir /tmp/c")
        assert "No medium found" in p.stderr  # the agent's answer to the first mkdir
        assert "Function not implemented" in p.stderr  # the agent has closed its fd
        assert p.returncode != 0
        first, second = agent.messages
        assert first["fds"] == ["seccompFd"] and first["metadata"] == "meta"
        assert first["state"]["id"] == cid and first["pid"] == runtime.state(cid)["pid"]
        assert second["state"]["id"] == cid and second["pid"] != first["pid"]
        # The init's mkdir was answered by the agent too: nothing was made.
        assert not (b.rootfs / "tmp" / "a").exists() and not (b.rootfs / "tmp" / "b").exists()
    finally:
        agent.close()


def test_seccomp_notify_without_an_agent_fails_clearly(runtime, make_bundle, tmp_path):
    b = make_bundle(["true"])
    b.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": str(tmp_path / "none.sock"),
        "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}
    b.save()
    p = runtime("run", "-b", str(b.path), runtime.new_id())
    assert p.returncode != 0 and "failed to connect with seccomp agent" in p.stderr
