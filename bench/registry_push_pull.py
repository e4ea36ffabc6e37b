#!/usr/bin/env python3
"""Push and pull of a ~100 MB multi-layer image with skopeo: teu's registry vs docker-registry.

Both servers run on loopback, each from a fresh storage directory per round
(skopeo skips blobs a registry already has), in alternation, and the
medians and their ratio (teu / distribution; below 1 means teu is faster)
are printed. Then many concurrent pulls: N skopeo pulls at once, and wrk
hammering a manifest and a 1 MiB blob with 32 connections.

    python3 bench/registry_push_pull.py [--rounds 5] [--size-mb 100] [--concurrent 8]

Needs skopeo, docker-registry (CNCF distribution) and wrk; runs as any user
that may bind loopback ports. Everything it makes lives in one temporary
directory, removed at the end; servers are stopped by PID.
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


def wait_port(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server did not start")


class Server:
    def __init__(self, name: str, work: Path) -> None:
        self.name = name
        self.work = work / name
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def root(self) -> Path:
        return self.work / "data"

    def command(self) -> list[str]:
        if self.name == "teu":
            teu = Path(sys.executable).parent / "teu"
            return [str(teu if teu.exists() else "teu"), "registry", "serve", "--addr",
                    f"127.0.0.1:{self.port}", "--root", str(self.root), "--no-access-log"]
        config = self.work / "config.yml"
        config.write_text(f"""version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {self.root}
http:
  addr: 127.0.0.1:{self.port}
""")
        return ["docker-registry", "serve", str(config)]

    def start(self, fresh: bool = True) -> None:
        if fresh and self.root.exists():
            shutil.rmtree(self.root)
        self.work.mkdir(parents=True, exist_ok=True)
        cmd = self.command()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                     stderr=open(self.work / "log", "ab"))  # noqa: SIM115
        wait_port(self.port, self.proc)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def rss_mib(self) -> float:
        assert self.proc
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0


def tar_with(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def make_layout(path: Path, total_mb: int) -> str:
    """An OCI layout of incompressible layers adding up to about total_mb MB."""
    shares = [0.4, 0.25, 0.2, 0.1, 0.05]
    blobs = path / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(data: bytes) -> dict:
        dg = hashlib.sha256(data).hexdigest()
        (blobs / dg).write_bytes(data)
        return {"digest": f"sha256:{dg}", "size": len(data)}

    layers, diff_ids = [], []
    for i, share in enumerate(shares):
        tar = tar_with(f"layer{i}.bin", os.urandom(int(total_mb * share * 1e6)))
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                       **put(gzip.compress(tar, compresslevel=1, mtime=0))})
    config = json.dumps({"architecture": "amd64", "os": "linux",
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
        "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}))
    return m["digest"]


def skopeo(*args: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(["skopeo", "--insecure-policy", *args], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t0


def push(server: Server, layout: Path) -> float:
    return skopeo("copy", "--dest-tls-verify=false", f"oci:{layout}:v1",
                  f"docker://127.0.0.1:{server.port}/bench/img:v1")


def pull(server: Server, dest: Path) -> float:
    if dest.exists():
        shutil.rmtree(dest)
    t = skopeo("copy", "--src-tls-verify=false",
               f"docker://127.0.0.1:{server.port}/bench/img:v1", f"oci:{dest}:v1")
    shutil.rmtree(dest)
    return t


def concurrent_pulls(server: Server, work: Path, n: int) -> float:
    dests = [work / f"cpull{i}" for i in range(n)]
    t0 = time.perf_counter()
    procs = [subprocess.Popen(["skopeo", "--insecure-policy", "copy", "--src-tls-verify=false",
                               f"docker://127.0.0.1:{server.port}/bench/img:v1", f"dir:{d}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for d in dests]
    codes = [p.wait() for p in procs]
    elapsed = time.perf_counter() - t0
    for d in dests:
        shutil.rmtree(d, ignore_errors=True)
    if any(codes):
        raise SystemExit(f"concurrent pull failed on {server.name}: {codes}")
    return elapsed


def upload_blob(port: int, repo: str, blob: bytes, digest: str) -> None:
    """POST then PUT: the two-step upload every registry supports."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", f"/v2/{repo}/blobs/uploads/", headers={"Content-Length": "0"})
    r = conn.getresponse()
    r.read()
    location = r.getheader("Location", "")
    sep = "&" if "?" in location else "?"
    conn.request("PUT", f"{location}{sep}digest={digest}", body=blob,
                 headers={"Content-Type": "application/octet-stream"})
    r = conn.getresponse()
    r.read()
    conn.close()
    if r.status != 201:
        raise SystemExit(f"blob upload answered {r.status}")


def wrk(url: str, seconds: int = 5, connections: int = 32,
        accept: str | None = None) -> tuple[float, float]:
    """(requests/s, MB/s) from wrk against one URL."""
    # distribution answers 404 to a manifest GET whose Accept lacks the OCI type.
    headers = ["-H", f"Accept: {accept}"] if accept else []
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", *headers, url],
                         check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"wrk saw errors from {url}:\n{out}")
    rps = mbs = 0.0
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            rps = float(line.split()[1])
        if line.startswith("Transfer/sec:"):
            value = line.split()[1]
            unit = value[-2:]
            mbs = float(value[:-2]) * {"KB": 1e-3, "MB": 1.0, "GB": 1e3}.get(unit, 1e-6)
    return rps, mbs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--size-mb", type=int, default=100)
    ap.add_argument("--concurrent", type=int, default=8)
    ap.add_argument("--wrk-seconds", type=int, default=5)
    args = ap.parse_args()
    for tool in ("skopeo", "docker-registry", "wrk"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found (apt-get install {tool})")
    work = Path(tempfile.mkdtemp(prefix="teu-bench-reg-"))
    servers = [Server("teu", work), Server("distribution", work)]
    try:
        layout = work / "layout"
        make_layout(layout, args.size_mb)
        size = sum(f.stat().st_size for f in (layout / "blobs" / "sha256").iterdir())
        print(f"image: {size / 1e6:.1f} MB in 5 layers; {args.rounds} rounds, alternating")
        times: dict[str, dict[str, list[float]]] = {s.name: {"push": [], "pull": []}
                                                   for s in servers}
        for r in range(args.rounds):
            order = servers if r % 2 == 0 else servers[::-1]
            for s in order:
                s.start(fresh=True)
                try:
                    times[s.name]["push"].append(push(s, layout))
                    times[s.name]["pull"].append(pull(s, work / "pulled"))
                finally:
                    s.stop()
        print(f"\n{'':14}{'teu':>10}{'distribution':>14}{'ratio':>8}")
        for op in ("push", "pull"):
            a = statistics.median(times["teu"][op])
            b = statistics.median(times["distribution"][op])
            print(f"{op + ' (s)':14}{a:10.3f}{b:14.3f}{a / b:8.2f}")

        print(f"\nconcurrent: {args.concurrent} skopeo pulls at once; wrk 32 connections")
        results: dict[str, dict[str, float]] = {}
        for s in servers:
            s.start(fresh=True)
            try:
                push(s, layout)
                res = results[s.name] = {}
                runs = [concurrent_pulls(s, work, args.concurrent) for _ in range(3)]
                res["pulls_s"] = statistics.median(runs)
                manifest = f"http://127.0.0.1:{s.port}/v2/bench/img/manifests/v1"
                res["manifest_rps"], _ = wrk(
                    manifest, args.wrk_seconds,
                    accept="application/vnd.oci.image.manifest.v1+json")
                blob = os.urandom(1 << 20)
                dg = "sha256:" + hashlib.sha256(blob).hexdigest()
                upload_blob(s.port, "bench/img", blob, dg)
                res["blob_rps"], res["blob_mbs"] = wrk(
                    f"http://127.0.0.1:{s.port}/v2/bench/img/blobs/{dg}", args.wrk_seconds)
                res["rss_mib"] = s.rss_mib()
            finally:
                s.stop()
        t, d = results["teu"], results["distribution"]
        print(f"{'':28}{'teu':>10}{'distribution':>14}{'ratio':>8}")
        for key, label in (
                ("pulls_s", f"{args.concurrent} pulls at once (s)"),
                ("manifest_rps", "manifest GET (req/s)"),
                ("blob_rps", "1 MiB blob GET (req/s)"),
                ("blob_mbs", "1 MiB blob GET (MB/s)"),
                ("rss_mib", "server RSS after (MiB)")):
            ratio = t[key] / d[key] if d[key] else float("nan")
            print(f"{label:28}{t[key]:10.2f}{d[key]:14.2f}{ratio:8.2f}")
        print("\nratios are teu / distribution: for times and memory below 1 is better, "
              "for rates above 1")
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
