"""Helpers for the registry integration tests: a `teu registry serve` process, OCI layouts."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
from pathlib import Path

TEU = str(Path(sys.executable).parent / "teu") if (Path(sys.executable).parent / "teu").exists() \
    else (shutil.which("teu") or "teu")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_listening(argv: list[str], log: Path) -> subprocess.Popen:
    """Start a server in its own session, its output appended to `log`."""
    logf = open(log, "ab")  # noqa: SIM115 - owned by the child
    proc = subprocess.Popen(argv, stdout=logf, stderr=logf, start_new_session=True)
    logf.close()
    return proc


def wait_listening(proc: subprocess.Popen, port: int, log: Path, what: str) -> None:
    """Up to 20 s for `proc` to accept on 127.0.0.1:port; RuntimeError if it exits or not."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not start")


def stop_server(proc: subprocess.Popen | None) -> None:
    """SIGTERM to this one process, SIGKILL if it is still there after 10 s."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class RegistryServer:
    """`teu registry serve` on a free loopback port; stopped by its PID only."""

    def __init__(self, root: Path, log: Path, args: list[str] | None = None,
                 scheme: str = "http") -> None:
        self.root = root
        self.log = log
        self.args = args or []
        self.scheme = scheme
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}"

    def start(self) -> RegistryServer:
        self.proc = start_listening(
            [TEU, "registry", "serve", "--addr", self.host, "--root", str(self.root),
             *self.args], self.log)
        wait_listening(self.proc, self.port, self.log, "registry")
        return self

    def stop(self) -> None:
        stop_server(self.proc)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
        req = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
        except urllib.error.HTTPError as e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tar_of_dir(path: Path) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for entry in sorted(path.rglob("*")):
            t.add(entry, arcname=str(entry.relative_to(path)), recursive=False)
    return buf.getvalue()


def tar_of_files(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def write_oci_layout(layout: Path, layers: list[bytes], tag: str = "latest",
                     cmd: list[str] | None = None, compresslevel: int = 1) -> str:
    """An OCI image layout holding one image of `layers` (uncompressed tars); its manifest digest."""
    blobs = layout / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)

    def put(data: bytes) -> str:
        dg = sha256(data)
        (blobs / dg.split(":")[1]).write_bytes(data)
        return dg

    layer_descs, diff_ids = [], []
    for tar in layers:
        gz = gzip.compress(tar, compresslevel=compresslevel, mtime=0)
        diff_ids.append(sha256(tar))
        layer_descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                            "digest": put(gz), "size": len(gz)})
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": {"Cmd": cmd or ["/bin/sh"], "Env": ["PATH=/bin:/usr/bin:/sbin:/usr/sbin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": f"layer {i}"} for i in range(len(layers))],
    }).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": put(config), "size": len(config)},
        "layers": layer_descs}).encode()
    mdg = put(manifest)
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdg,
        "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": tag}}]}))
    return mdg


def busybox_layer(tmp: Path) -> bytes:
    from teu.testing import busybox

    root = tmp / "bbroot"
    if not root.exists():
        busybox.make_rootfs(str(root))
    return tar_of_dir(root)


def run(cmd: list[str], timeout: float = 300, check: bool = True, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} -> {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def verify_store(root: Path) -> int:
    """Every blob in the store hashes to its name; returns how many were checked."""
    n = 0
    for path in (root / "blobs" / "sha256").rglob("*"):
        if path.is_file():
            with open(path, "rb") as f:
                assert hashlib.file_digest(f, "sha256").hexdigest() == path.name, path
            n += 1
    return n


def skopeo(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return run(["skopeo", "--insecure-policy", *args], timeout=timeout)


def tools_present(*names: str) -> bool:
    return all(shutil.which(n) for n in names)


def cleanup_dir(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path.parent, exist_ok=True)
