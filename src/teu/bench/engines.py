"""The engines `teu bench` measures, each with private storage under the bench's
work directory and the same image loaded into it: teu itself, and podman and docker
as peers when they are installed.

podman runs with runc and cgroupfs (crun 1.8.1 refuses hybrid cgroups) and the
machine's ulimits (root may lack CAP_SYS_RESOURCE); dockerd is Debian's, started
privately by teu.testing.dockerd with --iptables=false and no bridge, stopped by its
PID. Startup and memory rows use `--network none` for every engine, so they measure
the engines and not their networks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

from teu.bench import procs

ULIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"]
PEERS = ("podman", "docker")


@dataclass
class ImageSource:
    """The image as a file every engine can take: a root filesystem tar (`import`) or
    an image archive made by `teu save` (`load`)."""
    path: str
    kind: str  # "rootfs" or "archive"
    name: str  # what the user called it


def teu_argv() -> list[str]:
    """The teu the user is running: the fast launcher beside this interpreter."""
    here = os.path.join(os.path.dirname(sys.executable), "teu")
    if os.path.exists(here):
        return [here]
    found = shutil.which("teu")
    return [found] if found else [sys.executable, "-m", "teu.cli.main"]


class Engine:
    name = ""
    daemons: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.env: dict[str, str] = dict(os.environ)
        self.base: list[str] = []
        self.image = ""
        self.marker = ""  # text in the command line of every process of the engine

    def cmd(self, *args: str) -> list[str]:
        return [*self.base, *args]

    def call(self, *args: str, check: bool = True, timeout: float = 300
             ) -> subprocess.CompletedProcess:
        """Run the engine's command; output to files, never pipes a detached
        container's monitor could inherit and hold open."""
        import tempfile

        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            p = subprocess.run(self.cmd(*args), env=self.env, stdin=subprocess.DEVNULL,
                               stdout=out, stderr=err, timeout=timeout)
            out.seek(0)
            err.seek(0)
            p.stdout = out.read().decode(errors="replace")
            p.stderr = err.read().decode(errors="replace")
        if check and p.returncode:
            raise RuntimeError(f"{self.name} {' '.join(args[:2])}: "
                               f"{(p.stderr or p.stdout).strip()[-400:]}")
        return p

    def run_args(self) -> list[str]:
        """`run` and the flags every engine's startup row shares."""
        return ["run", "--network", "none"]

    def version(self) -> str:
        return ""

    def rm_args(self) -> list[str]:
        """`rm` that kills at once, as docker's and teu's `rm -f` do (a bench container's
        `sleep` as PID 1 ignores SIGTERM: a grace period would only be waited out)."""
        return ["rm", "-f"]

    def serve_args(self, name: str, port: int, www: str) -> list[str]:
        """`run -d` of busybox httpd serving `www`, published on 127.0.0.1:port, on the
        engine's default bridge; RuntimeError when this engine publishes no ports here."""
        return ["run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:80", "-v",
                f"{www}:/www:ro"]

    def load(self, src: ImageSource) -> None:
        raise NotImplementedError

    def unload(self) -> None:
        self.call("rmi", "-f", self.image, check=False)

    def remove_all(self) -> None:
        ids = self.call("ps", "-aq", check=False).stdout.split()
        if ids:
            self.call(*self.rm_args(), *ids, check=False, timeout=600)

    def processes(self) -> tuple[list[int], list[int]]:
        """(monitors and other per-container processes, daemons) of this engine."""
        t = procs.table()
        mine = procs.mentioning(self.marker, t)
        daemons = [p for p in mine if procs.name(p, t).startswith(self.daemons)
                   and not procs.name(p, t).startswith("containerd-shim")]
        return [p for p in mine if p not in daemons], daemons

    def stop(self) -> None:
        """Remove every container, then end whatever of ours still runs (by PID)."""
        self.remove_all()


class TeuEngine(Engine):
    name = "teu"

    def __init__(self, top: str) -> None:
        super().__init__()
        self.top = os.path.join(top, "teu")
        self.env.update(TEU_ROOT=f"{self.top}/root", TEU_RUNROOT=f"{self.top}/run")
        self.base = teu_argv()
        self.image = "teubench/image:latest"
        self.marker = self.top

    def version(self) -> str:
        from teu import __version__

        return __version__

    def serve_args(self, name: str, port: int, www: str) -> list[str]:
        # explicit: the environment may say TEU_NETWORK=none (as the tests' does)
        return [*super().serve_args(name, port, www), "--network", "bridge"]

    def load(self, src: ImageSource) -> None:
        if src.kind == "rootfs":
            self.call("import", src.path, self.image)
        else:
            self.call("load", "-i", src.path)
            self.call("tag", src.name, self.image)


class PodmanEngine(Engine):
    name = "podman"

    def __init__(self, top: str) -> None:  # noqa: ARG002 - podman needs a short path
        super().__init__()
        import tempfile

        # podman refuses a runroot longer than 50 characters: a short directory of its
        # own under /tmp, removed by stop()
        self.top = tempfile.mkdtemp(prefix="teu-bench-podman-", dir="/tmp")
        conf = os.path.join(self.top, "containers.conf")
        with open(conf, "w") as f:
            f.write('[containers]\ndefault_ulimits = ["nofile=20000:20000", '
                    '"nproc=32768:32768"]\n')
        self.env["CONTAINERS_CONF"] = conf
        self.base = ["podman", "--root", f"{self.top}/root", "--runroot", f"{self.top}/run",
                     "--tmpdir", f"{self.top}/tmp", "--runtime", "runc",
                     "--cgroup-manager", "cgroupfs", "--events-backend", "file",
                     "--storage-driver", "overlay"]
        self.image = "localhost/teubench/image:latest"
        self.marker = self.top

    def run_args(self) -> list[str]:
        return ["run", "--network", "none", *ULIMITS]

    def serve_args(self, name: str, port: int, www: str) -> list[str]:
        return [*super().serve_args(name, port, www), *ULIMITS]  # its default network

    def rm_args(self) -> list[str]:
        return ["rm", "-f", "-t", "0"]  # podman's rm -f first waits 10 s for SIGTERM

    def version(self) -> str:
        return self.call("version", "--format", "{{.Client.Version}}",
                         check=False).stdout.strip()

    def load(self, src: ImageSource) -> None:
        if src.kind == "rootfs":
            self.call("import", src.path, self.image)
        else:
            out = self.call("load", "-i", src.path).stdout
            loaded = out.strip().rsplit("Loaded image: ", 1)[-1].split()[0]
            self.call("tag", loaded, self.image)

    def stop(self) -> None:
        self.call(*self.rm_args(), "-a", check=False, timeout=600)
        for pid in procs.mentioning(self.top):  # a conmon rm did not end
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        with open("/proc/self/mountinfo") as f:
            mounts = [ln.split()[4] for ln in f if ln.split()[4].startswith(self.top + "/")]
        for m in reversed(mounts):
            subprocess.run(["umount", "-l", m], capture_output=True)
        shutil.rmtree(self.top, ignore_errors=True)


class DockerEngine(Engine):
    """Debian's dockerd 20.10 driven by Debian's docker CLI (not /usr/local/bin/docker,
    which is newer than the daemon)."""

    name = "docker"
    daemons = ("dockerd", "containerd")

    def __init__(self, top: str) -> None:  # noqa: ARG002 - dockerd picks a short /tmp dir
        super().__init__()
        from teu.testing.dockerd import DOCKER, Dockerd

        self.daemon = Dockerd()
        self.env = dict(self.daemon.env)
        self.base = [DOCKER]
        self.image = "teubench/image:latest"
        self.marker = self.daemon.top

    def version(self) -> str:
        return self.call("version", "--format", "{{.Server.Version}}",
                         check=False).stdout.strip()

    def serve_args(self, name: str, port: int, www: str) -> list[str]:
        raise RuntimeError("dockerd runs here with --bridge=none --iptables=false (a bench "
                           "must not rewrite the firewall): it publishes no ports")

    def load(self, src: ImageSource) -> None:
        if src.kind == "rootfs":
            self.call("import", src.path, self.image)
        else:
            self.call("load", "-i", src.path)
            self.call("tag", src.name, self.image)

    def stop(self) -> None:
        self.daemon.stop()


def installed(name: str) -> str | None:
    """None when the peer can run here, else why not."""
    if name == "podman":
        missing = [b for b in ("podman", "runc", "conmon") if not shutil.which(b)]
        return f"not installed ({', '.join(missing)} missing)" if missing else None
    if name == "docker":
        for path in ("/usr/sbin/dockerd", "/usr/bin/docker"):
            if not os.path.exists(path):
                return f"not installed ({path} missing: apt-get install docker.io)"
        return None
    return f"unknown engine {name!r}"


def make(name: str, top: str) -> Engine:
    return {"teu": TeuEngine, "podman": PodmanEngine, "docker": DockerEngine}[name](top)
