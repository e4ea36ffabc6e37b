#!/usr/bin/env python3
"""teu scan / teu sbom against trivy and syft on the same images, cold and warm.

Images: the fixture Debian image (teu.testing.scanimages) and a "host" image made
from this machine's own Debian files (/etc/os-release, the dpkg status, /usr/bin
with its Go binaries, /usr/lib/python3), both imported into a private teu store
and saved as a docker-archive for the peers. Advisories: the fixtures of
teu.testing.scanadvisories, in teu's database and in a trivy BoltDB written from
them. Each round runs every tool once, alternating; medians and ratios
(teu / peer, below 1 is faster) are printed.

    cold  teu: the scan cache removed first; trivy: its layer cache (fanal) removed
    warm  both keep their caches from the previous run; syft has none (cold == warm)

    python3 bench/scan_sbom.py [--rounds 5] [--no-host-image] [--scan-only] [--teu PATH]

--teu runs another teu (e.g. a launcher for an older checkout, to measure before/after).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    p = BIN / name
    return str(p) if p.exists() else (shutil.which(name) or name)


CPU: dict[str, list[float]] = {}


def timed(argv: list[str], env: dict, label: str = "") -> float:
    """Wall seconds; the CPU seconds (user + sys) go to CPU[label]: on a machine this
    loaded, CPU time says more about the work than wall time does."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.setdefault(label, []).append(after.ru_utime - before.ru_utime
                                     + after.ru_stime - before.ru_stime)
    return wall


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-host-image", action="store_true")
    ap.add_argument("--scan-only", action="store_true", help="skip the sbom runs (syft takes "
                    "minutes a round on the host image)")
    ap.add_argument("--teu", default=None, help="the teu to run (default: this venv's)")
    a = ap.parse_args()
    from teu.testing import scanadvisories, scanimages, trivydb

    top = Path(tempfile.mkdtemp(prefix="teu-bench-scan-"))
    try:
        root = top / "root"
        env = {**os.environ, "TEU_ROOT": str(root), "TEU_RUNROOT": str(top / "run")}
        teu = a.teu or tool("teu")
        archives = scanimages.write_all(str(top / "fixtures"))
        subprocess.run([teu, "load", "-q", "-i", archives["debian"]], env=env, check=True)
        images = {"fixture-debian": (scanimages.IMAGES["debian"][0], archives["debian"])}
        if not a.no_host_image:
            parts = ["etc/os-release", "usr/lib/os-release", "etc/debian_version",
                     "var/lib/dpkg/status", "usr/bin", "usr/lib/python3"]
            tar = subprocess.Popen(["tar", "-C", "/", "-c", *parts], stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL)
            subprocess.run([teu, "import", "-", "bench/host:1"], stdin=tar.stdout, env=env,
                           check=True, stdout=subprocess.DEVNULL)
            tar.wait()
            host_tar = str(top / "host.tar")
            subprocess.run([teu, "save", "-o", host_tar, "bench/host:1"], env=env, check=True)
            images["host-debian"] = ("bench/host:1", host_tar)
        adv = scanadvisories.write(str(top / "adv"))
        subprocess.run([teu, "scan", "db", "import", adv["osv"], adv["tracker"]], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        tcache = top / "trivy"
        trivydb.write(str(tcache))
        trivy = [tool("trivy"), "image", "--cache-dir", str(tcache), "--skip-db-update",
                 "--skip-java-db-update", "--offline-scan", "-q", "--skip-version-check",
                 "--disable-telemetry", "--skip-vex-repo-update"]
        print(f"# {a.rounds} rounds, 2 shared cores (other engineers' work ran meanwhile)")
        for label, (ref, archive) in images.items():
            size = os.path.getsize(archive) >> 20
            runs: dict[str, list[float]] = {}

            def add(name: str, seconds: float, runs: dict = runs, label: str = label) -> None:
                runs.setdefault(name, []).append(seconds)
                CPU.setdefault(f"{label} {name}", []).extend(CPU.pop("", []))

            for _ in range(a.rounds):
                shutil.rmtree(root / "scan-cache", ignore_errors=True)
                add("teu scan cold", timed([teu, "scan", "-f", "json", ref], env))
                add("teu scan warm", timed([teu, "scan", "-f", "json", ref], env))
                shutil.rmtree(tcache / "fanal", ignore_errors=True)
                add("trivy image cold", timed([*trivy, "--scanners", "vuln", "-f", "json",
                                               "--input", archive], env))
                add("trivy image warm", timed([*trivy, "--scanners", "vuln", "-f", "json",
                                               "--input", archive], env))
                if a.scan_only:
                    continue
                shutil.rmtree(root / "scan-cache", ignore_errors=True)
                add("teu sbom cold", timed([teu, "sbom", "-f", "cyclonedx-json", ref], env))
                add("teu sbom warm", timed([teu, "sbom", "-f", "cyclonedx-json", ref], env))
                add("syft", timed([tool("syft"), f"docker-archive:{archive}", "-o",
                                   "cyclonedx-json", "-q"], env))
                shutil.rmtree(tcache / "fanal", ignore_errors=True)
                add("trivy sbom cold", timed([*trivy, "-f", "cyclonedx", "--input", archive],
                                             env))
            med = {k: statistics.median(v) for k, v in runs.items()}
            print(f"\n## {label} ({size} MiB archive)")
            cpu = {k: statistics.median(CPU[f"{label} {k}"]) for k in runs}
            print(f"  {'':<18} {'wall':>8}    {'cpu':>8}")
            for k, v in med.items():
                print(f"  {k:<18} {v * 1000:8.0f} ms {cpu[k] * 1000:8.0f} ms")
            print(f"  cpu ratio teu/trivy scan cold  {cpu['teu scan cold'] / cpu['trivy image cold']:.2f}")
            print(f"  cpu ratio teu/trivy scan warm  {cpu['teu scan warm'] / cpu['trivy image warm']:.2f}")
            print(f"  ratio teu/trivy scan cold  {med['teu scan cold'] / med['trivy image cold']:.2f}")
            print(f"  ratio teu/trivy scan warm  {med['teu scan warm'] / med['trivy image warm']:.2f}")
            if a.scan_only:
                continue
            print(f"  ratio teu/syft sbom cold   {med['teu sbom cold'] / med['syft']:.2f}")
            print(f"  ratio teu/syft sbom warm   {med['teu sbom warm'] / med['syft']:.2f}")
            print(f"  ratio teu/trivy sbom cold  {med['teu sbom cold'] / med['trivy sbom cold']:.2f}")
    finally:
        shutil.rmtree(top, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
