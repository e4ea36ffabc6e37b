"""throughput_rps: busybox httpd in a teu container through a published port
(127.0.0.1:PORT -> the container's :80, the kernel's forwarding) against the same
busybox binary serving the same page straight on the host, alternating rounds with
the same load tool, medians and the ratio."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess

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


def measure(e: Engine, image: str, www: str, workdir: str, rounds: int, seconds: int,
            bar: Progress, track: list[subprocess.Popen]) -> dict:
    cport, hport = httpload.free_port(), httpload.free_port()
    name = "teubench-web"
    e.call("run", "-d", "--name", name, "--network", "bridge", "-p", f"127.0.0.1:{cport}:80",
           "-v", f"{www}:/www:ro", image, "httpd", "-f", "-p", "80", "-h", "/www")
    host = host_server(www, hport, workdir)
    track.append(host)
    try:
        import time

        for port in (cport, hport):
            if httpload.wait_ready(port, time.monotonic()) is None:
                raise RuntimeError(f"no answer on 127.0.0.1:{port}")
        rates: dict[str, list[float]] = {"container": [], "host": []}
        for _ in range(rounds):
            rates["container"].append(httpload.rps(cport, seconds))
            rates["host"].append(httpload.rps(hport, seconds))
            bar.step("throughput")
    finally:
        host.kill()
        host.wait()
        e.call("rm", "-f", name, check=False)
    med = {k: statistics.median(v) for k, v in rates.items()}
    return {"tool": httpload.tool(), "seconds": seconds, "rounds": rounds,
            "container": round(med["container"], 1), "host": round(med["host"], 1),
            "ratio": round(med["container"] / med["host"], 3) if med["host"] else None,
            "samples": {k: [round(x, 1) for x in v] for k, v in rates.items()}}
