"""A private containerd with its CRI plugin, for driving teu-runtime as a kubelet would.

containerd runs in a network namespace the test makes (a "test host", never the
machine's own), with its socket, root and state under the test's temporary
directory, the runc shim's state roots there too (`options.Root`), and a bridge +
host-local CNI config whose bridge lives inside that namespace. Two runtime
handlers: `runc` (containerd's CRI reports an error status without it) and `teu`
(the same runc shim with `BinaryName` = teu-runtime). Images are made locally and
imported with `ctr -n k8s.io images import`: a pause image (catatonit -P, as
podman's infra) and busybox.

Cleanup, also when a test fails: containerd is stopped by its PID, any shim or
container process whose command line names our directory is killed by PID, mounts
under the directory are unmounted, the namespace is removed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import tarfile
import time
from pathlib import Path

from tests.integration.engine_helpers import mounts_under
from tests.integration.net_helpers import TestHost
from tests.integration.proc_helpers import kill_pids, pids_mentioning

PAUSE_IMAGE = "teu.test/pause:3.9"
BUSYBOX_IMAGE = "teu.test/busybox:1"
NAMESPACE = "k8s.io"
SUBNET = "10.88.7.0/24"

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

CNI = {"cniVersion": "1.0.0", "name": "teu-cri-test", "plugins": [
    {"type": "bridge", "bridge": "cni-teu0", "isGateway": True, "ipMasq": False,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": SUBNET}]],
              "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "{top}/cni-ipam"}},
    {"type": "loopback"}]}


def image_archive(rootfs: Path, tag: str, config: dict) -> bytes:
    """A `docker save` archive of one layer (the rootfs directory), named `tag`."""
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name in sorted(os.listdir(rootfs)):
            t.add(str(rootfs / name), arcname=name)
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


def pause_rootfs(path: Path) -> Path:
    """The sandbox's root filesystem: catatonit (static) as /pause, as podman's infra."""
    path.mkdir(parents=True)
    data = Path("/usr/bin/catatonit").read_bytes()
    (path / "pause").write_bytes(data)
    (path / "pause").chmod(0o755)
    for d in ("proc", "sys", "dev", "etc"):
        (path / d).mkdir()
    return path


class Containerd:
    """containerd under `top`, inside `host`; `cri()` gives the CRI v1 stubs."""

    def __init__(self, top: Path, host: TestHost, runtime: str) -> None:
        self.top = top
        self.host = host
        self.socket = top / "containerd.sock"
        (top / "cni").mkdir(parents=True)
        cni = json.loads(json.dumps(CNI).replace("{top}", str(top)))
        (top / "cni" / "10-teu.conflist").write_text(json.dumps(cni))
        self.config = top / "config.toml"
        self.config.write_text(CONFIG.format(top=top, pause=PAUSE_IMAGE, runtime=runtime))
        self.log = open(top / "containerd.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([*host.prefix(), "containerd", "--config",
                                      str(self.config)], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self._channel = None

    def wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.socket.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"containerd did not start:\n{self.log_text()[-3000:]}")
            time.sleep(0.05)

    def log_text(self) -> str:
        return (self.top / "containerd.log").read_text(errors="replace")

    def ctr(self, *args: str, stdin: bytes | None = None) -> str:
        p = subprocess.run(["ctr", "--address", str(self.socket), "-n", NAMESPACE, *args],
                           input=stdin, capture_output=True, timeout=60)
        if p.returncode != 0:
            raise AssertionError(f"ctr {' '.join(args)}: {p.stderr.decode(errors='replace')}")
        return p.stdout.decode()

    def import_image(self, archive: bytes) -> None:
        self.ctr("images", "import", "-", stdin=archive)

    def cri(self):  # noqa: ANN201 - (RuntimeServiceStub, ImageServiceStub)
        import grpc
        from cri_api.v1 import api_pb2_grpc

        if self._channel is None:
            self._channel = grpc.insecure_channel(f"unix://{self.socket}")
        return (api_pb2_grpc.RuntimeServiceStub(self._channel),
                api_pb2_grpc.ImageServiceStub(self._channel))

    def shim_pids(self) -> list[int]:
        """The runc shims of this containerd (they name its socket on their command line)."""
        return pids_mentioning(str(self.socket))

    @staticmethod
    def _shim_id(pid: int) -> str | None:
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        except OSError:
            return None
        return args[args.index("-id") + 1] if "-id" in args[:-1] else None

    def shim_socket(self, sandbox_id: str) -> Path:
        """Where the shim of a pod listens (containerd 1.6: a hash of address, namespace and
        the pod's id, in a fixed directory shared with every containerd of the machine)."""
        digest = hashlib.sha256(f"{self.socket}/{NAMESPACE}/{sandbox_id}".encode()).hexdigest()
        return Path("/run/containerd/s", digest)

    def mounts(self) -> list[str]:
        return mounts_under(self.top)

    def stop(self) -> None:
        if self._channel is not None:
            self._channel.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        # Shims (and anything they left running) name our directory on their command
        # line; a killed shim leaves its socket behind, so remove those of our pods.
        pods = {self._shim_id(pid) for pid in self.shim_pids()}
        for _ in range(3):
            left = pids_mentioning(str(self.top))
            if not left:
                break
            kill_pids(left)
            time.sleep(0.2)
        for pod in pods - {None}:
            self.shim_socket(pod).unlink(missing_ok=True)
        for mount in sorted(mounts_under(self.top), key=len, reverse=True):
            subprocess.run(["umount", "-l", mount], check=False)
