"""A private Kubernetes-node runtime for tests and benchmarks: Debian's containerd 1.6 with
its CRI plugin, driving teu-runtime the way a kubelet's node does.

containerd runs in a network namespace made here (never the machine's own), with its
socket, root and state in a short directory of its own under /tmp (a unix socket's path
has at most 107 bytes), the runc shim's state roots there too (`options.Root`), and a
bridge + host-local CNI config whose bridge lives inside that namespace. Two runtime
handlers: `runc` (containerd 1.6's CRI reports an error status without it) and `teu`
(the same runc shim with `BinaryName` = teu-runtime). Root may lack CAP_SYS_RESOURCE,
hence `restrict_oom_score_adj`. Images are made locally and imported with
`ctr -n k8s.io images import`: a pause image (catatonit -P, as podman's infra) and
busybox.

stop() ends containerd by its PID, then any shim or process whose command line names
our directory (by PID), unmounts what is left under the directory, removes the
namespace, the shim sockets of our pods and the directory.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
import uuid

from teu.testing import busybox

PAUSE_IMAGE = "teu.test/pause:3.9"
BUSYBOX_IMAGE = "teu.test/busybox:1"
NAMESPACE = "k8s.io"
SUBNET = "10.88.7.0/24"
CNI_NETWORK = "teu-cri-test"
SHIM_SOCKETS = "/run/containerd/s"  # fixed in containerd 1.6, whatever its state dir

CONFIG = """version = 2
root = "{top}/root"
state = "{top}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "{top}/containerd.sock"
[ttrpc]
  address = "{top}/containerd.sock.ttrpc"
[debug]
  level = "info"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{pause}"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{top}/cni"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "{top}/runc-root"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.teu]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.teu.options]
        BinaryName = "{runtime}"
        Root = "{top}/teu-root"
"""


def cni_config(top: str) -> dict:
    return {"cniVersion": "1.0.0", "name": CNI_NETWORK, "plugins": [
        {"type": "bridge", "bridge": "cni-teu0", "isGateway": True, "ipMasq": False,
         "ipam": {"type": "host-local", "ranges": [[{"subnet": SUBNET}]],
                  "routes": [{"dst": "0.0.0.0/0"}], "dataDir": f"{top}/cni-ipam"}},
        {"type": "loopback"}]}


def missing_tools() -> list[str]:
    return [t for t in ("containerd", "ctr", "containerd-shim-runc-v2", "runc", "catatonit",
                        "ip", "nsenter", "script") if not shutil.which(t)]


def image_archive(rootfs: str, tag: str, config: dict) -> bytes:
    """A `docker save` archive of one layer (the rootfs directory), named `tag`."""
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name in sorted(os.listdir(rootfs)):
            t.add(os.path.join(rootfs, name), arcname=name)
    layer_bytes = layer.getvalue()
    diff_id = "sha256:" + hashlib.sha256(layer_bytes).hexdigest()
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": config,
                      "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode()
    cfg_name = hashlib.sha256(cfg).hexdigest() + ".json"
    manifest = json.dumps([{"Config": cfg_name, "RepoTags": [tag],
                            "Layers": [f"{diff_id[7:]}/layer.tar"]}]).encode()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as t:
        for name, data in ((f"{diff_id[7:]}/layer.tar", layer_bytes), (cfg_name, cfg),
                           ("manifest.json", manifest)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return out.getvalue()


def pause_rootfs(path: str) -> str:
    """The sandbox's root filesystem: catatonit (static) as /pause, as podman's infra."""
    os.makedirs(path)
    shutil.copy2(shutil.which("catatonit") or "/usr/bin/catatonit", os.path.join(path, "pause"))
    for d in ("proc", "sys", "dev", "etc"):
        os.mkdir(os.path.join(path, d))
    return path


def pids_mentioning(text: str) -> list[int]:
    """Processes whose command line names `text`, never this one."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if text in f.read().decode(errors="replace"):
                    found.append(int(entry))
        except OSError:
            continue
    return found


def mounts_under(top: str) -> list[str]:
    prefix = top.rstrip("/") + "/"
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(prefix)]


CGROUP_TOP = "/sys/fs/cgroup"


def cgroup_dirs(parent: str) -> list[str]:
    """Every cgroup directory at or below the cgroupfs path `parent` (a pod's cgroup parent),
    in every hierarchy: one per controller on v1/hybrid, the one tree on unified v2."""
    if os.path.exists(os.path.join(CGROUP_TOP, "cgroup.controllers")):
        tops = [CGROUP_TOP]
    else:
        tops = [os.path.join(CGROUP_TOP, h) for h in os.listdir(CGROUP_TOP)
                if os.path.isdir(os.path.join(CGROUP_TOP, h))
                and not os.path.islink(os.path.join(CGROUP_TOP, h))]
    found = []
    for top in tops:
        if os.path.isdir(top + parent):
            found.extend(root for root, _, _ in os.walk(top + parent))
    return found


def cgroup_pids(parent: str) -> list[int]:
    pids: set[int] = set()
    for d in cgroup_dirs(parent):
        try:
            with open(os.path.join(d, "cgroup.procs")) as f:
                pids.update(int(x) for x in f.read().split())
        except OSError:
            pass
    return sorted(pids)


def remove_cgroup_tree(parent: str, timeout: float = 10.0) -> None:
    """Kill what is left in a pod cgroup parent (a sandbox's pause outlives its killed
    shim), wait until the cgroups are empty (a process leaves only once reaped), remove
    them, deepest first."""
    deadline = time.monotonic() + timeout
    while cgroup_pids(parent) and time.monotonic() < deadline:
        for pid in cgroup_pids(parent):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)
    for d in sorted(cgroup_dirs(parent), key=len, reverse=True):
        try:
            os.rmdir(d)
        except OSError:
            pass


class CriNode:
    """containerd with the CRI plugin in a namespace and directory of its own."""

    def __init__(self, runtime: str) -> None:
        self.top = tempfile.mkdtemp(prefix="teu-cri-", dir="/tmp")
        self.netns = f"teucri-{uuid.uuid4().hex[:8]}"
        self.socket = os.path.join(self.top, "containerd.sock")
        self.proc: subprocess.Popen | None = None
        self._channel = None
        self._log = None
        try:
            subprocess.run(["ip", "netns", "add", self.netns], check=True)
            self.prefix = ["nsenter", f"--net=/run/netns/{self.netns}"]
            subprocess.run([*self.prefix, "ip", "link", "set", "lo", "up"], check=True)
            os.mkdir(os.path.join(self.top, "cni"))
            with open(os.path.join(self.top, "cni", "10-teu.conflist"), "w") as f:
                json.dump(cni_config(self.top), f)
            config = os.path.join(self.top, "config.toml")
            with open(config, "w") as f:
                f.write(CONFIG.format(top=self.top, pause=PAUSE_IMAGE, runtime=runtime))
            self._log = open(os.path.join(self.top, "containerd.log"), "wb")  # noqa: SIM115
            self.proc = subprocess.Popen([*self.prefix, "containerd", "--config", config],
                                         stdout=self._log, stderr=subprocess.STDOUT)
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.socket):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"containerd did not start:\n{self.log_text()[-3000:]}")
            time.sleep(0.05)

    def log_text(self) -> str:
        try:
            with open(os.path.join(self.top, "containerd.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def ctr(self, *args: str, stdin: bytes | None = None) -> str:
        p = subprocess.run(["ctr", "--address", self.socket, "-n", NAMESPACE, *args],
                           input=stdin, capture_output=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"ctr {' '.join(args)}: {p.stderr.decode(errors='replace')}")
        return p.stdout.decode()

    def ctr_tty(self, *args: str) -> str:
        """ctr with a terminal of its own (`script` gives it a pty): for `task exec -t`."""
        import shlex

        line = shlex.join(["ctr", "--address", self.socket, "-n", NAMESPACE, *args])
        p = subprocess.run(["script", "-qec", line, "/dev/null"], capture_output=True,
                           stdin=subprocess.DEVNULL, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"ctr {' '.join(args)}: {p.stdout.decode(errors='replace')}")
        return p.stdout.decode(errors="replace")

    def load_images(self) -> None:
        """The pause image and busybox, made here and imported into k8s.io."""
        work = os.path.join(self.top, "images")
        rootfs = busybox.make_rootfs(os.path.join(work, "busybox"))
        pause = pause_rootfs(os.path.join(work, "pause"))
        self.ctr("images", "import", "-", stdin=image_archive(
            pause, PAUSE_IMAGE, {"Entrypoint": ["/pause", "-P"]}))
        self.ctr("images", "import", "-", stdin=image_archive(
            rootfs, BUSYBOX_IMAGE, {"Cmd": ["sh"], "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]}))
        shutil.rmtree(work)

    def cri(self):  # noqa: ANN201 - (RuntimeServiceStub, ImageServiceStub)
        """The CRI v1 stubs over containerd's socket (PyPI container-runtime-interface-api)."""
        import grpc
        from cri_api.v1 import api_pb2_grpc

        if self._channel is None:
            self._channel = grpc.insecure_channel(f"unix://{self.socket}")
        return (api_pb2_grpc.RuntimeServiceStub(self._channel),
                api_pb2_grpc.ImageServiceStub(self._channel))

    def runtime_state(self, handler: str) -> set[str]:
        """Container ids the handler's runtime holds state for (its --root; teu-runtime
        keeps its compiled seccomp programs in .cache there, which outlives containers)."""
        root = os.path.join(self.top, f"{handler}-root", NAMESPACE)
        if not os.path.isdir(root):
            return set()
        return {n for n in os.listdir(root) if not n.startswith(".")}

    def shim_pids(self) -> list[int]:
        """The runc shims of this containerd (they name its socket on their command line)."""
        return pids_mentioning(self.socket)

    def shim_socket(self, sandbox_id: str) -> str:
        """Where the shim of a pod listens (containerd 1.6: a hash of address, namespace
        and the pod's id, in a directory shared with every containerd of the machine)."""
        digest = hashlib.sha256(f"{self.socket}/{NAMESPACE}/{sandbox_id}".encode()).hexdigest()
        return os.path.join(SHIM_SOCKETS, digest)

    def mounts(self) -> list[str]:
        return mounts_under(self.top)

    def stop(self) -> None:
        if self._channel is not None:
            self._channel.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log is not None:
            self._log.close()
        # A killed shim leaves its socket behind: remove those of our pods.
        pods = {_shim_id(pid) for pid in self.shim_pids()}
        for _ in range(10):
            left = pids_mentioning(self.top + "/")
            if not left:
                break
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        for pod in pods - {None}:
            try:
                os.unlink(self.shim_socket(pod))
            except FileNotFoundError:
                pass
        for mount in sorted(self.mounts(), key=len, reverse=True):
            subprocess.run(["umount", "-l", mount], check=False)
        subprocess.run(["ip", "netns", "del", self.netns], check=False,
                       stderr=subprocess.DEVNULL)
        shutil.rmtree(self.top, ignore_errors=True)


def _shim_id(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = f.read().decode().split("\0")
    except OSError:
        return None
    return args[args.index("-id") + 1] if "-id" in args[:-1] else None
