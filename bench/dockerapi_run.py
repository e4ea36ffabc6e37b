"""`docker run --rm busybox true` (docker CLI 28.2) through teu's socket
(`teu system service`) against the same through a private dockerd 20.10, and docker-py's
containers.run loop of 20 (in blocks of 5), alternating; prints medians (the loop's
total) and ratios (teu / dockerd).

    python bench/dockerapi_run.py [ROUNDS] [--profile] [--unwatched]

--profile: the service prints a line per request (TEU_API_TRACE); the medians of
create, attach, start and wait per `docker run` are printed after the ratios.
--unwatched: a third engine in the rotation, teu's service with TEU_API_WATCH=0 (exits
recorded by conmon's exit command, a `teu container cleanup` process each, as before the
service watched its containers), to show what the watching saves.
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

from teu.testing import busybox
from teu.testing.dockerd import Dockerd

DOCKER = "/usr/local/bin/docker"
TEU = os.path.join(os.path.dirname(sys.executable), "teu")


def rootfs_tar(top: str) -> str:
    rootfs = os.path.join(top, "rootfs")
    busybox.make_rootfs(rootfs)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name in sorted(os.listdir(rootfs)):
            t.add(os.path.join(rootfs, name), arcname=name)
    path = os.path.join(top, "busybox.tar")
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    return path


def timed(fn) -> float:  # noqa: ANN001
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def print_profile(trace: str) -> None:
    """Medians per request kind from the service's trace lines."""
    import re

    kinds: dict[str, list[float]] = {}
    with open(trace) as f:
        for line in f:
            m = re.match(r"trace \S+ +([\d.]+) ms (\w+) (\S+)", line)
            if m:
                kind = m.group(2) + " " + re.sub(r"/v1\.\d+|/[0-9a-f]{64}", "", m.group(3))
                kinds.setdefault(kind, []).append(float(m.group(1)))
    for kind, ms in sorted(kinds.items()):
        if len(ms) >= 5:
            print(f"  service {kind:32s} median {statistics.median(ms):7.1f} ms  (n={len(ms)})")


def main() -> None:
    import docker

    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    profile = "--profile" in sys.argv
    unwatched = "--unwatched" in sys.argv
    rounds = int(args[0]) if args else 10
    top = tempfile.mkdtemp(prefix="teu-bapi-", dir="/tmp")
    tar = rootfs_tar(top)
    env = {**os.environ, "TEU_ROOT": f"{top}/root", "TEU_RUNROOT": f"{top}/run"}
    subprocess.run([TEU, "import", tar, "busybox"], env=env, check=True, capture_output=True)
    sock = f"unix://{top}/teu.sock"
    trace = os.path.join(top, "trace.log")
    svc = subprocess.Popen([TEU, "system", "service", "--time", "0", sock],
                           env={**env, "TEU_API_TRACE": "1"} if profile else env,
                           stderr=open(trace, "w") if profile else subprocess.DEVNULL,  # noqa: SIM115
                           start_new_session=True)
    other = None
    if unwatched:
        other = subprocess.Popen([TEU, "system", "service", "--time", "0",
                                  f"unix://{top}/teu-unwatched.sock"],
                                 env={**env, "TEU_API_WATCH": "0"}, stderr=subprocess.DEVNULL,
                                 start_new_session=True)
    d = Dockerd(tar, "busybox:latest")
    try:
        time.sleep(1.5)
        hosts = {"teu": sock, "dockerd": d.url}
        if other is not None:
            hosts["teu-unwatched"] = f"unix://{top}/teu-unwatched.sock"
        cli = {k: [] for k in hosts}
        py = {k: [] for k in hosts}
        clients = {k: docker.DockerClient(base_url=v, version="1.41") for k, v in hosts.items()}
        for url in hosts.values():  # warm-up
            subprocess.run([DOCKER, "-H", url, "run", "--rm", "--network", "none", "busybox",
                            "true"], check=True, capture_output=True)
        for _ in range(rounds):
            for name, url in hosts.items():
                cli[name].append(timed(lambda url=url: subprocess.run(
                    [DOCKER, "-H", url, "run", "--rm", "--network", "none", "busybox", "true"],
                    check=True, capture_output=True)))
        for _ in range(4):  # 20 runs each, in blocks of 5 alternating between the engines
            for name, c in clients.items():
                py[name].append(timed(lambda c=c: [c.containers.run(
                    "busybox", "true", remove=True, network_mode="none") for _ in range(5)]))
        for what, data in (("docker run --rm busybox true", cli),
                           ("docker-py containers.run x20", py)):
            summed = data is py  # docker-py: the 20 runs' total, over the four blocks
            t, o = ((sum(data["teu"]), sum(data["dockerd"])) if summed else
                    (statistics.median(data["teu"]), statistics.median(data["dockerd"])))
            print(f"{what:34s} teu {t * 1000:8.0f} ms  dockerd {o * 1000:8.0f} ms  "
                  f"ratio {t / o:.2f}")
            if "teu-unwatched" in data:
                u = (sum(data["teu-unwatched"]) if summed
                     else statistics.median(data["teu-unwatched"]))
                print(f"{'':34s} teu-unwatched {u * 1000:8.0f} ms  ratio {u / o:.2f}")
        if profile:
            print_profile(trace)
        print(f"load average {os.getloadavg()[0]:.1f}")
    finally:
        d.stop()
        for p in (svc, other):
            if p is not None:
                p.terminate()
                p.wait(10)
        subprocess.run(["rm", "-rf", top])


if __name__ == "__main__":
    main()
