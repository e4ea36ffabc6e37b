"""exec into running containers, hooks at each point of the lifecycle, terminals."""

import json
import os
import socket
import subprocess
import threading
import time

import pytest


def running(runtime, make_bundle, args=("sleep", "300"), **config):
    b = make_bundle(list(args))
    for key, value in config.items():
        b.config[key] = value
    b.save()
    cid = runtime.new_id()
    runtime("run", "-d", "-b", str(b.path), cid, check=True)
    return cid, b


def test_exec_runs_in_the_containers_namespaces(runtime, make_bundle):
    cid, _ = running(runtime, make_bundle)
    p = runtime("exec", cid, "sh", "-c", "hostname; cat /proc/1/comm; id -u", check=True)
    assert p.stdout.split() == ["teu", "sleep", "0"]


def test_exec_exit_code_env_cwd_user(runtime, make_bundle):
    cid, _ = running(runtime, make_bundle)
    assert runtime("exec", cid, "sh", "-c", "exit 7").returncode == 7
    p = runtime("exec", "--env", "FOO=bar", "--cwd", "/tmp", "--user", "1000:1000", cid,
                "sh", "-c", "echo $FOO; pwd; id -u; id -g", check=True)
    assert p.stdout.split() == ["bar", "/tmp", "1000", "1000"]
    assert runtime("exec", cid, "no-such-cmd").returncode == 255  # runc: any failure to start is 255


def test_exec_process_json_detach_and_pid_file(runtime, make_bundle, tmp_path):
    cid, b = running(runtime, make_bundle, root={"path": "rootfs", "readonly": False})
    process = dict(b.config["process"], args=["sh", "-c", "echo detached > /tmp/mark; sleep 60"],
                   terminal=False)
    pfile = tmp_path / "process.json"
    pfile.write_text(json.dumps(process))
    pid_file = tmp_path / "exec.pid"
    runtime("exec", "--process", str(pfile), "--detach", "--pid-file", str(pid_file), cid,
            check=True)
    pid = int(pid_file.read_text())
    assert pid in json.loads(runtime("ps", "--format", "json", cid, check=True).stdout)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if runtime("exec", cid, "cat", "/tmp/mark").stdout == "detached\n":
            break
        time.sleep(0.05)
    assert runtime("exec", cid, "cat", "/tmp/mark").stdout == "detached\n"


def test_exec_into_a_stopped_container_fails(runtime, make_bundle):
    b = make_bundle(["true"])
    cid = runtime.new_id()
    runtime("run", "-d", "-b", str(b.path), cid, check=True)
    time.sleep(0.3)
    p = runtime("exec", cid, "true")
    assert p.returncode == 255 and "stopped" in p.stderr  # runc: 255


def test_hooks_run_in_order_with_state_on_stdin(runtime, make_bundle, tmp_path):
    log = tmp_path / "hooks.log"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\nread state\necho \"$1 $state\" >> {log}\n")
    hook.chmod(0o755)
    kinds = ("prestart", "createRuntime", "createContainer", "poststart", "poststop")
    b = make_bundle(["true"])
    b.config["hooks"] = {k: [{"path": str(hook), "args": ["hook.sh", k]}] for k in kinds}
    # startContainer runs inside the container: its path is the container's.
    (b.rootfs / "hook.sh").write_text(hook.read_text().replace(str(log), "/start.log"))
    (b.rootfs / "hook.sh").chmod(0o755)
    b.config["hooks"]["startContainer"] = [{"path": "/hook.sh",
                                            "args": ["hook.sh", "startContainer"]}]
    b.config["root"]["readonly"] = False
    b.save()
    cid = runtime.new_id()
    runtime("run", "-b", str(b.path), cid, check=True)
    lines = log.read_text().splitlines()
    assert [line.split()[0] for line in lines] == ["prestart", "createRuntime",
                                                   "createContainer", "poststart", "poststop"]
    states = {line.split()[0]: json.loads(line.split(" ", 1)[1]) for line in lines}
    assert states["prestart"]["id"] == cid and states["prestart"]["pid"] > 0
    assert states["poststart"]["status"] == "running"
    assert states["poststop"]["status"] == "stopped"
    assert (b.rootfs / "start.log").read_text().startswith("startContainer ")


def test_failing_and_slow_hooks_abort_create(runtime, make_bundle, tmp_path):
    b = make_bundle(["true"])
    b.config["hooks"] = {"createRuntime": [{"path": "/bin/false"}]}
    b.save()
    cid = runtime.new_id()
    p = runtime("create", "-b", str(b.path), cid)
    assert p.returncode == 1 and "createRuntime[0]" in p.stderr
    assert not (runtime.root / cid).exists()
    b.config["hooks"] = {"prestart": [{"path": "/bin/sleep", "args": ["sleep", "10"],
                                       "timeout": 1}]}
    b.save()
    p = runtime("create", "-b", str(b.path), cid)
    assert p.returncode == 1 and "timed out" in p.stderr


class ConsoleSocket:
    """What conmon does: listen on a unix socket, receive the pty master fd."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.master = None
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        conn, _ = self.sock.accept()
        _, fds, _, _ = socket.recv_fds(conn, 1024, 1)
        self.master = fds[0]
        conn.close()

    def read_all(self, timeout=10):
        self.thread.join(timeout)
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        return out.decode()

    def close(self):
        if self.master is not None:
            os.close(self.master)
        self.sock.close()


def test_terminal_through_console_socket(runtime, make_bundle, tmp_path):
    b = make_bundle(["sh", "-c", "tty; stty size; ls -l /dev/console | cut -c1"], terminal=True)
    b.config["process"]["consoleSize"] = {"height": 30, "width": 100}
    b.save()
    console = ConsoleSocket(tmp_path / "console.sock")
    try:
        cid = runtime.new_id()
        runtime("create", "-b", str(b.path), "--console-socket", console.path, cid, check=True)
        runtime("start", cid, check=True)
        out = console.read_all()
    finally:
        console.close()
    assert "/dev/pts/0" in out and "30 100" in out
    assert out.split()[-1] == "c"  # /dev/console is the pty


def test_terminal_without_console_socket_is_refused(runtime, make_bundle):
    b = make_bundle(["true"], terminal=True)
    p = runtime("create", "-b", str(b.path), runtime.new_id())
    assert p.returncode == 1 and "console" in p.stderr


def test_run_with_terminal_proxies_the_pty(runtime, make_bundle):
    b = make_bundle(["sh", "-c", "tty; exit 4"], terminal=True)
    p = subprocess.run(runtime.cmd("run", "-b", str(b.path), runtime.new_id()),
                       capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    assert p.returncode == 4
    assert b"/dev/pts/0" in p.stdout


def test_exec_with_tty_through_console_socket(runtime, make_bundle, tmp_path):
    cid, _ = running(runtime, make_bundle)
    console = ConsoleSocket(tmp_path / "exec.sock")
    try:
        p = runtime("exec", "-t", "--console-socket", console.path, cid, "tty")
        out = console.read_all()
    finally:
        console.close()
    assert p.returncode == 0, p.stderr
    assert "/dev/pts/" in out


@pytest.mark.parametrize("n", [2])
def test_preserve_fds(runtime, make_bundle, tmp_path, n):
    b = make_bundle(["sh", "-c", "cat <&3; cat <&4; ls /proc/self/fd"])
    files = []
    for i in range(n):
        f = tmp_path / f"fd{i}"
        f.write_text(f"payload{i}\n")
        files.append(open(f))
    try:
        fds = [f.fileno() for f in files]
        # Place them at 3 and 4 in the child, as callers of --preserve-fds do.
        p = subprocess.run(runtime.cmd("run", "--preserve-fds", str(n), "-b", str(b.path),
                                       runtime.new_id()),
                           capture_output=True, text=True, timeout=30,
                           pass_fds=(3, 4), preexec_fn=lambda: [os.dup2(fd, 3 + i)
                                                                 for i, fd in enumerate(fds)])
    finally:
        for f in files:
            f.close()
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[:2] == ["payload0", "payload1"]
