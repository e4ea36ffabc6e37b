#!/usr/bin/env python3
"""`teu verify` against `cosign verify` of the same signed image on one loopback registry.

Debian's docker-registry (CNCF distribution) on loopback holds a small image signed by
cosign (`--tlog-upload=false`, cosign's tag scheme). Each round runs both verifiers
once, alternating which goes first, each a fresh process as a user would run it:

    teu verify --key cosign.pub HOST/bench/img:v1
    cosign verify --key cosign.pub --insecure-ignore-tlog --allow-http-registry HOST/...

and prints the medians and the ratio teu / cosign (below 1: teu is faster).

A third row, the floor, times what any verifier running in a fresh CPython process
pays before it does any work: the interpreter started as teu's launcher starts it
(`python -S`) importing only http.client and cryptography's ECDSA and PEM modules.
Its ratio to cosign bounds what `teu verify` can reach from a cold process.

    python3 bench/trust_verify.py [--rounds 21] [--teu PATH] [--cosign PATH]

Everything lives in one temporary directory, removed at the end; the registry is
stopped by its PID.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from teu.bench.httpload import free_port

PASSWORD = "bench"


def make_layout(path: Path) -> None:
    blobs = path / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(data: bytes) -> dict:
        dg = hashlib.sha256(data).hexdigest()
        (blobs / dg).write_bytes(data)
        return {"digest": f"sha256:{dg}", "size": len(data)}

    layer = os.urandom(4096)
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers",
                                    "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]}
                         }).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **put(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", **put(layer)}],
    }).encode()
    m = put(manifest)
    (path / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (path / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", **m,
        "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}))


def wait_port(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("registry exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("registry did not start")


def timed(argv: list[str], env: dict) -> float:
    t = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({p.returncode}): {p.stderr.decode()[-500:]}")
    return dt


def floor_argv(teu: str) -> list[str]:
    """The interpreter and sys.path of teu's launcher, importing only what verify needs."""
    launcher = Path(teu).read_text().splitlines()
    python = launcher[0][2:].split()[0] if launcher[0].startswith("#!") else sys.executable
    paths = [line for line in launcher if line.startswith("sys.path.")]
    code = "; ".join(["import sys", *paths, "import http.client",
                      "from cryptography.hazmat.primitives.asymmetric import ec",
                      "from cryptography.hazmat.primitives import serialization"])
    return [python, "-S", "-c", code]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=21)
    ap.add_argument("--teu", default=str(Path(sys.executable).parent / "teu"))
    ap.add_argument("--cosign", default="/usr/local/lib/teu-peers/cosign/cosign")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="teu-bench-trust-"))
    env = {**os.environ, "COSIGN_PASSWORD": PASSWORD, "TEU_ROOT": str(work / "store")}
    reg = None
    try:
        port = free_port()
        cfg = work / "config.yml"
        cfg.write_text(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                       f"    rootdirectory: {work / 'data'}\nhttp:\n  addr: 127.0.0.1:{port}\n")
        reg = subprocess.Popen(["docker-registry", "serve", str(cfg)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(port, reg)
        make_layout(work / "layout")
        ref = f"127.0.0.1:{port}/bench/img:v1"
        subprocess.run(["skopeo", "--insecure-policy", "copy", "-q", "--dest-tls-verify=false",
                        f"oci:{work / 'layout'}:v1", f"docker://{ref}"], check=True)
        subprocess.run([args.cosign, "generate-key-pair"], cwd=work, env=env, check=True,
                       capture_output=True)
        subprocess.run([args.cosign, "sign", "-y", "--key", str(work / "cosign.key"),
                        "--tlog-upload=false", "--allow-http-registry", ref], env=env,
                       check=True, capture_output=True)
        pub = str(work / "cosign.pub")
        tools = {
            "teu": [args.teu, "verify", "--key", pub, ref],
            "cosign": [args.cosign, "verify", "--key", pub, "--insecure-ignore-tlog",
                       "--allow-http-registry", ref],
        }
        tools["floor"] = floor_argv(args.teu)
        for argv in tools.values():  # warm the page cache once each
            timed(argv, env)
        times: dict[str, list[float]] = {k: [] for k in tools}
        for i in range(args.rounds):
            order = list(tools) if i % 2 == 0 else list(reversed(tools))
            for name in order:
                times[name].append(timed(tools[name], env))
        med = {k: statistics.median(v) for k, v in times.items()}
        for k, v in med.items():
            print(f"{k:7} verify  median {v * 1000:7.1f} ms  (min {min(times[k]) * 1000:.1f}, "
                  f"max {max(times[k]) * 1000:.1f}, {args.rounds} rounds)")
        print(f"ratio teu/cosign: {med['teu'] / med['cosign']:.2f}")
        print(f"ratio floor/cosign: {med['floor'] / med['cosign']:.2f} (a fresh python -S "
              "importing http.client and cryptography's ec + serialization, nothing else)")
    finally:
        if reg is not None:
            reg.terminate()
            reg.wait(10)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
