#!/usr/bin/env python3
"""Requests per second of busybox httpd in a teu container through a published port
(-p 8080:80: DNAT by the kernel, teu's nftables table, the bridge, a veth) against the
same busybox httpd run directly in the test host, both measured with wrk from the test
host on 127.0.0.1, alternating rounds; medians and the ratio (target: >= 0.98).
Beside them, to show where a difference comes from: the container on --network host,
without seccomp, and the host's server in a cgroup of its own (as a container is).

    python3 bench/network_throughput.py [--rounds 5] [--seconds 5] [--connections 16]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _engine_peers import Teu, busybox_tar  # noqa: E402
from _test_host import TestHost  # noqa: E402

CONTROLLERS = ("cpu", "memory", "pids")


def wrk(host: TestHost, url: str, seconds: int, connections: int) -> float:
    out = subprocess.run([*host.prefix, "wrk", "-t2", f"-c{connections}", f"-d{seconds}s",
                          url], check=True, capture_output=True, text=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise RuntimeError(f"wrk said: {out}")
    return float(m.group(1))


def wait_up(host: TestHost, url: str) -> None:
    deadline = time.monotonic() + 10
    while subprocess.run([*host.prefix, "curl", "-sf", "-o", "/dev/null", url]).returncode:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} does not answer")
        time.sleep(0.1)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=16)
    args = ap.parse_args()
    host = TestHost()
    server = grouped = None
    group = f"teubench-{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="teu-netbench-") as top:
        site = os.path.join(top, "www")
        os.makedirs(site)
        with open(os.path.join(site, "index.html"), "w") as f:
            f.write("x" * 1024)
        tarball = busybox_tar(os.path.join(top, "busybox.tar"))
        teu = Teu(top, tarball)
        teu.env["TEU_NETWORK"] = "bridge"
        try:
            subprocess.run(host.prefix + teu.cmd("run", "-d", "--name", "web", "-p", "8080:80",
                                                 "-v", f"{site}:/www", "busybox", "httpd",
                                                 "-f", "-p", "80", "-h", "/www"),
                           env=teu.env, check=True, stdout=subprocess.DEVNULL)
            # where the difference comes from: the same container on the host's network
            # (no veth, no DNAT), and one without the seccomp filter
            subprocess.run(host.prefix + teu.cmd("run", "-d", "--name", "web-hostnet",
                                                 "--network", "host", "-v", f"{site}:/www",
                                                 "busybox", "httpd", "-f", "-p",
                                                 "127.0.0.1:8083", "-h", "/www"),
                           env=teu.env, check=True, stdout=subprocess.DEVNULL)
            subprocess.run(host.prefix + teu.cmd("run", "-d", "--name", "web-nofilter", "-p",
                                                 "8084:80", "--security-opt",
                                                 "seccomp=unconfined", "-v", f"{site}:/www",
                                                 "busybox", "httpd", "-f", "-p", "80", "-h",
                                                 "/www"),
                           env=teu.env, check=True, stdout=subprocess.DEVNULL)
            # the same binary as the container's, from the same image, straight on the host
            os.makedirs(os.path.join(top, "bin"))
            binary = os.path.join(top, "bin", "busybox")
            subprocess.run(["cp", "/bin/busybox", binary], check=True)
            server = subprocess.Popen([*host.prefix, binary, "httpd", "-f", "-p",
                                       "127.0.0.1:8081", "-h", site])
            # and once more in a cpu/memory/pids cgroup of its own, as a container is: under
            # load the scheduler shares CPU between groups, which the host process escapes
            grouped = subprocess.Popen([*host.prefix, binary, "httpd", "-f", "-p",
                                        "127.0.0.1:8085", "-h", site])
            for c in CONTROLLERS:
                d = f"/sys/fs/cgroup/{c}/{group}"
                os.makedirs(d, exist_ok=True)
                with open(f"{d}/cgroup.procs", "w") as f:
                    f.write(str(grouped.pid))
            urls = {"container": "http://127.0.0.1:8080/index.html",
                    "host": "http://127.0.0.1:8081/index.html",
                    "ctr hostnet": "http://127.0.0.1:8083/index.html",
                    "ctr nofilter": "http://127.0.0.1:8084/index.html",
                    "host cgroup": "http://127.0.0.1:8085/index.html"}
            for url in urls.values():
                wait_up(host, url)
            rates: dict[str, list[float]] = {k: [] for k in urls}
            for _ in range(args.rounds):
                for name, url in urls.items():
                    rates[name].append(wrk(host, url, args.seconds, args.connections))
        finally:
            for proc in (server, grouped):
                if proc is not None:
                    proc.kill()
                    proc.wait()
            for c in CONTROLLERS:
                d = f"/sys/fs/cgroup/{c}/{group}"
                for _ in range(50):
                    try:
                        os.rmdir(d)
                        break
                    except FileNotFoundError:
                        break
                    except OSError:
                        time.sleep(0.05)
            subprocess.run(host.prefix + teu.cmd("rm", "-f", "web", "web-hostnet",
                                                 "web-nofilter"), env=teu.env,
                           stdout=subprocess.DEVNULL)
            host.remove()
    med = {k: statistics.median(v) for k, v in rates.items()}
    for k, v in rates.items():
        print(f"{k:12} median {med[k]:9.0f} req/s   rounds: {', '.join(f'{x:.0f}' for x in v)}")
    for k in rates:
        if k != "host":
            print(f"{k} / host: {med[k] / med['host']:.3f}")
    print(f"container / host cgroup (the data path alone): "
          f"{med['container'] / med['host cgroup']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
