#!/usr/bin/env python3
"""Pull of a multi-layer image from a loopback registry: teu vs skopeo vs podman.

One docker-registry (CNCF distribution) on loopback holds a ~200 MB image of
five layers of incompressible data (gzip, as registries serve them), pushed
once by skopeo. Each round pulls it with each tool into fresh storage, the
tools alternating, and the medians and ratios (teu / peer; below 1 means
teu is faster) are printed:

    teu pull --root FRESH            verify every digest and diff ID, unpack the layers
    skopeo copy docker://... oci:DIR  download and verify, no unpack
    podman --root FRESH pull          download, verify, unpack (vfs)

    python3 bench/image_pull.py [--rounds 5] [--size-mb 200] [--layers 5]

Everything lives in one temporary directory, removed at the end; the
registry is stopped by its PID.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from teu.bench.httpload import free_port


def make_layout(path: Path, total_mb: int, nlayers: int) -> int:
    """An OCI layout of `nlayers` gzip layers of random data, about total_mb MB."""
    blobs = path / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(data: bytes) -> dict:
        dg = hashlib.sha256(data).hexdigest()
        (blobs / dg).write_bytes(data)
        return {"digest": f"sha256:{dg}", "size": len(data)}

    weights = [nlayers - i for i in range(nlayers)]
    layers, diff_ids, total = [], [], 0
    for i, w in enumerate(weights):
        size = int(total_mb * 1e6 * w / sum(weights))
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as t:
            # A few files per layer, so unpacking is more than one write.
            for j in range(4):
                data = os.urandom(size // 4)
                ti = tarfile.TarInfo(f"layer{i}/file{j}.bin")
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
        tar = buf.getvalue()
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        gz = gzip.compress(tar, compresslevel=1, mtime=0)
        total += len(gz)
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **put(gz)})
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Cmd": ["/bin/sh"]},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    manifest = json.dumps({"schemaVersion": 2,
                           "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      **put(config)},
                           "layers": layers}).encode()
    m = put(manifest)
    (path / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (path / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", **m,
        "annotations": {"org.opencontainers.image.ref.name": "bench"}}]}))
    return total


def start_registry(work: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cfg = work / "registry.yml"
    cfg.write_text(f"""version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {work / 'registry'}
http:
  addr: 127.0.0.1:{port}
""")
    proc = subprocess.Popen(["docker-registry", "serve", str(cfg)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("docker-registry did not start")


def teu_binary() -> str:
    cand = Path(sys.executable).parent / "teu"
    return str(cand) if cand.exists() else "teu"


def timed(cmd: list[str], env: dict | None = None) -> float:
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr.decode()[-2000:]}")
    return dt


def drop_caches_of(path: Path) -> None:
    """Remove a run's output and let the disk settle, so the next tool does not pay
    for writing back what the previous one left dirty."""
    subprocess.run(["rm", "-rf", str(path)], check=False)
    os.sync()
    time.sleep(0.5)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--size-mb", type=int, default=200)
    ap.add_argument("--layers", type=int, default=5)
    ap.add_argument("--no-podman", action="store_true")
    args = ap.parse_args()
    for tool in ("skopeo", "docker-registry") + (() if args.no_podman else ("podman",)):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed (see deps/debian-packages.txt)")
    work = Path(tempfile.mkdtemp(prefix="teu-bench-pull-", dir="/var/tmp"))
    proc = None
    try:
        total = make_layout(work / "layout", args.size_mb, args.layers)
        proc, host = start_registry(work)
        ref = f"{host}/bench/img:v1"
        subprocess.run(["skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false",
                        f"oci:{work / 'layout'}:bench", f"docker://{ref}"], check=True,
                       stdout=subprocess.DEVNULL)
        shutil.rmtree(work / "layout")
        print(f"image: {args.layers} layers, {total / 1e6:.0f} MB compressed, registry {host}")
        env = dict(os.environ)
        env.pop("TEU_ROOT", None)
        tools = {
            "teu": lambda d: [teu_binary(), "pull", "-q", "--root", str(d), ref],
            "skopeo": lambda d: ["skopeo", "--insecure-policy", "copy", "--src-tls-verify=false",
                                 f"docker://{ref}", f"oci:{d}:v1"],
        }
        if not args.no_podman:
            tools["podman"] = lambda d: [
                "podman", "--root", str(d / "root"), "--runroot", str(Path("/tmp") / d.name),
                "--storage-driver", "vfs", "pull", "-q", "--tls-verify=false", ref]
        times: dict[str, list[float]] = {t: [] for t in tools}
        for r in range(args.rounds + 1):  # round 0 warms the caches and is not counted
            order = list(tools) if r % 2 == 0 else list(reversed(tools))
            for name in order:
                d = work / f"{name}-{r}"
                d.mkdir()
                dt = timed(tools[name](d), env)
                if r:
                    times[name].append(dt)
                if name == "podman":
                    subprocess.run(["podman", "--root", str(d / "root"), "--runroot",
                                    str(Path("/tmp") / d.name), "--storage-driver", "vfs",
                                    "rmi", "-af"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
                    shutil.rmtree(Path("/tmp") / d.name, ignore_errors=True)
                drop_caches_of(d)
        med = {t: statistics.median(v) for t, v in times.items()}
        print(f"{'tool':8} {'median s':>9} {'MB/s':>7}  runs")
        for t, v in times.items():
            print(f"{t:8} {med[t]:9.3f} {total / 1e6 / med[t]:7.0f}  "
                  + " ".join(f"{x:.2f}" for x in v))
        for t in tools:
            if t != "teu":
                print(f"teu / {t}: {med['teu'] / med[t]:.2f}")
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
