"""Private instances of teu, podman and docker for the engine benchmarks, each with its own
storage under one temporary directory and the same busybox image imported locally.

podman uses runc (crun 1.8.1 refuses this host's hybrid cgroups) and cgroupfs, with the
machine's ulimits (root here lacks CAP_SYS_RESOURCE). dockerd runs with --iptables=false
and --bridge=none (no docker0 on the host), its own containerd, data and exec roots; it
is stopped by its PID afterwards.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile

from teu.testing import busybox

ULIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"]


def busybox_tar(path: str) -> str:
    rootfs = path + ".rootfs"
    busybox.make_rootfs(rootfs)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name in sorted(os.listdir(rootfs)):
            t.add(os.path.join(rootfs, name), arcname=name)
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    shutil.rmtree(rootfs)
    return path


def teu_binary() -> str:
    here = os.path.join(os.path.dirname(sys.executable), "teu")
    return here if os.path.exists(here) else shutil.which("teu") or "teu"


class Peer:
    name = ""

    def run_cmd(self, *args: str) -> list[str]:
        raise NotImplementedError

    def stop(self) -> None:
        pass


class Teu(Peer):
    name = "teu"

    def __init__(self, top: str, tarball: str) -> None:
        self.env = {**os.environ, "TEU_ROOT": f"{top}/teu/root", "TEU_RUNROOT": f"{top}/teu/run"}
        self.base = [teu_binary()]
        subprocess.run([*self.base, "import", tarball, "busybox"], env=self.env, check=True,
                       stdout=subprocess.DEVNULL)

    def cmd(self, *args: str) -> list[str]:
        return [*self.base, *args]

    def run_cmd(self, *args: str) -> list[str]:
        return self.cmd("run", "--network", "none", *args)


class Podman(Peer):
    name = "podman"

    def __init__(self, top: str, tarball: str) -> None:
        conf = f"{top}/containers.conf"
        with open(conf, "w") as f:
            f.write('[containers]\ndefault_ulimits = ["nofile=20000:20000", '
                    '"nproc=32768:32768"]\n')
        self.env = {**os.environ, "CONTAINERS_CONF": conf}
        self.base = ["podman", "--root", f"{top}/podman/root", "--runroot",
                     f"{top}/podman/run", "--tmpdir", f"{top}/podman/tmp", "--runtime", "runc",
                     "--cgroup-manager", "cgroupfs", "--events-backend", "file",
                     "--storage-driver", "overlay"]
        subprocess.run([*self.base, "import", tarball, "localhost/busybox"], env=self.env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def cmd(self, *args: str) -> list[str]:
        return [*self.base, *args]

    def run_cmd(self, *args: str) -> list[str]:
        return self.cmd("run", "--network", "none", *ULIMITS, *args)

    def stop(self) -> None:
        subprocess.run(self.cmd("rm", "-af"), env=self.env, capture_output=True)
        subprocess.run(["umount", "-R", "-l", self.base[2]], capture_output=True)


class Docker(Peer):
    """Debian's dockerd 20.10 with Debian's docker CLI (not /usr/local/bin/docker)."""

    name = "docker"

    def __init__(self, top: str, tarball: str) -> None:
        from teu.testing.dockerd import Dockerd

        self.daemon = Dockerd(tarball, "busybox")
        self.proc = self.daemon.proc
        self.sock = self.daemon.sock
        self.env = self.daemon.env

    def cmd(self, *args: str) -> list[str]:
        return ["/usr/bin/docker", *args]

    def run_cmd(self, *args: str) -> list[str]:
        return self.cmd("run", "--network", "none", *args)

    def daemon_pids(self) -> list[int]:
        """dockerd and the containerd it started (its children)."""
        pids = [self.proc.pid]
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                pids += [int(p) for p in f.read().split()]
        except OSError:
            pass
        return pids

    def stop(self) -> None:
        self.daemon.stop()


def available(name: str) -> bool:
    if name == "podman":
        return bool(shutil.which("podman") and shutil.which("runc"))
    if name == "docker":
        return os.path.exists("/usr/sbin/dockerd") and os.path.exists("/usr/bin/docker")
    return True


def make(name: str, top: str, tarball: str) -> Peer:
    return {"teu": Teu, "podman": Podman, "docker": Docker}[name](top, tarball)
