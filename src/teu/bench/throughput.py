"""throughput_rps: busybox httpd in a container through a published port (127.0.0.1:PORT
-> the container's :80, the kernel's forwarding) for teu and each peer that publishes
ports here, against the same busybox binary serving the same page straight on the
host, alternating rounds with the same load tool; medians and the ratios to the host."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import time

from teu.bench import httpload
from teu.bench.engines import Engine
from teu.bench.progress import Progress


def host_server(www: str, port: int, workdir: str) -> subprocess.Popen:
    binary = os.path.join(workdir, "busybox")
    if not os.path.exists(binary):
        from teu.testing.busybox import find_busybox

        shutil.copy(find_busybox(), binary)
    return subprocess.Popen([binary, "httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", www],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def measure(services: list[tuple[Engine, str]], www: str, workdir: str, rounds: int,
            seconds: int, bar: Progress, track: list[subprocess.Popen]) -> dict:
    """services: (engine, image with busybox httpd); the first is teu."""
    ports: dict[str, int] = {}
    peers: dict[str, dict] = {}
    started: list[Engine] = []
    hport = httpload.free_port()
    host = host_server(www, hport, workdir)
    track.append(host)
    try:
        for e, image in services:
            port = httpload.free_port()
            try:
                e.call(*e.serve_args("teubench-web", port, www), image, "httpd", "-f", "-p",
                       "80", "-h", "/www")
            except RuntimeError as err:
                if e.name == "teu":
                    raise
                peers[e.name] = {"skipped": str(err)[-300:]}
                continue
            started.append(e)
            ports[e.name] = port
        ports["host"] = hport
        for name, port in ports.items():
            if httpload.wait_ready(port, time.monotonic()) is None:
                raise RuntimeError(f"{name}: no answer on 127.0.0.1:{port}")
        rates: dict[str, list[float]] = {k: [] for k in ports}
        for _ in range(rounds):
            for name, port in ports.items():
                rates[name].append(httpload.rps(port, seconds))
            bar.step("throughput")
    finally:
        host.kill()
        host.wait()
        for e in started:
            e.call(*e.rm_args(), "teubench-web", check=False)
    med = {k: statistics.median(v) for k, v in rates.items()}

    def vs_host(x: float) -> float | None:
        return round(x / med["host"], 3) if med["host"] else None

    for name in ports:
        if name not in ("teu", "host"):
            peers[name] = {"container": round(med[name], 1), "ratio": vs_host(med[name]),
                           "samples": [round(x, 1) for x in rates[name]]}
    return {"tool": httpload.tool(), "seconds": seconds, "rounds": rounds,
            "container": round(med["teu"], 1), "host": round(med["host"], 1),
            "ratio": vs_host(med["teu"]), "peers": peers,
            "samples": {k: [round(x, 1) for x in rates[k]] for k in ("teu", "host")}}
