"""A private dockerd (Debian's docker.io 20.10) for differential tests and benchmarks.

It never touches the machine's network or its own docker: --iptables=false, no bridge
(containers use --network none), its own data root, exec root, pid file and socket in
a directory of its own, started in its own session and stopped by its PID; stop()
unmounts what it left and removes the directory.

The directory is short and under /tmp whatever `top` is: containerd's socket lives in
the exec root, and a unix socket's path has at most 107 bytes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

DOCKERD = "/usr/sbin/dockerd"
DOCKER = "/usr/bin/docker"  # Debian's CLI: /usr/local/bin/docker is newer than the daemon


class Dockerd:
    def __init__(self, image_tarball: str | None = None,
                 image_name: str = "busybox:latest", prefix: list[str] | None = None,
                 bridge: bool = False) -> None:
        """Start it; with image_tarball (a root filesystem tar), `docker import` it.
        prefix: what to run it under (`nsenter --net=...` for a test host); bridge: its
        default bridge network too (only inside a test host: it makes docker0)."""
        import tempfile

        top = tempfile.mkdtemp(prefix="teu-dockerd-", dir="/tmp")
        self.top = top
        self.sock = os.path.join(top, "docker.sock")
        self.url = f"unix://{self.sock}"
        self.env = {**os.environ, "DOCKER_HOST": self.url}
        self._log_path = os.path.join(top, "dockerd.log")
        self._log = open(self._log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [*(prefix or []), DOCKERD, "--iptables=false", "--ip6tables=false",
             *([] if bridge else ["--bridge=none"]),
             "--ip-masq=false", "--data-root", os.path.join(top, "data"),
             "--exec-root", os.path.join(top, "exec"),
             "--pidfile", os.path.join(top, "dockerd.pid"), "-H", self.url,
             "--storage-driver", "overlay2",
             # root lacks CAP_SYS_RESOURCE here: docker's default rlimits would fail
             "--default-ulimit", "nofile=20000:20000",
             "--default-ulimit", "nproc=32768:32768"],
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while self.docker("version", check=False).returncode:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                tail = self.log_tail()
                self.stop()
                raise RuntimeError(f"dockerd did not start: {tail}")
            time.sleep(0.2)
        if image_tarball:
            self.docker("import", image_tarball, image_name)

    def docker(self, *args: str, check: bool = True,
               input: bytes | None = None) -> subprocess.CompletedProcess:
        p = subprocess.run([DOCKER, *args], env=self.env, capture_output=True, input=input,
                           timeout=300)
        if check and p.returncode:
            raise RuntimeError(f"docker {args[0]}: {p.stderr.decode()[-2000:]}")
        return p

    def log_tail(self, n: int = 2000) -> str:
        try:
            with open(self._log_path) as f:
                return f.read()[-n:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Remove its containers, then SIGTERM it (SIGKILL its group after 30 s)."""
        if self.proc.poll() is None:
            ids = self.docker("ps", "-aq", check=False).stdout.split()
            if ids:
                self.docker("rm", "-f", *[i.decode() for i in ids], check=False)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()
        _unmount_under(self.top)
        import shutil

        shutil.rmtree(self.top, ignore_errors=True)


def _unmount_under(top: str) -> None:
    """Lazily unmount what dockerd left below top (deepest first)."""
    import ctypes

    prefix = top.rstrip("/") + "/"
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    libc = ctypes.CDLL(None, use_errno=True)
    for point in sorted((p for p in points if p == top or p.startswith(prefix)),
                        key=len, reverse=True):
        libc.umount2(point.encode(), 2)  # MNT_DETACH
