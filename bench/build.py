"""teu build against buildah bud --layers, podman build and docker build (BuildKit).

A multi-stage Dockerfile with several RUN and COPY steps on the locally made busybox
image, built three ways per round, the tools alternating within each round:
cold (--no-cache), fully cached, and after one source file changed (only the steps
from the COPY that reads it run again). Prints medians and teu's ratio to each peer.

    python bench/build.py [--rounds 5] [--peers buildah,podman,docker]
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _engine_peers as peers  # noqa: E402

DOCKERFILE = """\
FROM busybox AS build
WORKDIR /src
COPY deps.txt ./
RUN mkdir -p /opt/toolchain && dd if=/dev/zero of=/opt/toolchain/big bs=1k count=4096 \\
    2>/dev/null && echo toolchain ready
COPY src/ ./src/
RUN cat src/*.c > /src/app.bin && wc -c /src/app.bin
RUN mkdir -p /out && cp /src/app.bin /out/ && echo built > /out/version

FROM busybox
WORKDIR /app
COPY --from=build /out/ ./
COPY config.ini ./
RUN echo ready > /app/ready
CMD ["cat", "/app/version"]
"""


def make_context(top: str) -> str:
    ctx = os.path.join(top, "ctx")
    os.makedirs(os.path.join(ctx, "src"))
    with open(os.path.join(ctx, "Dockerfile"), "w") as f:
        f.write(DOCKERFILE)
    for name, text in (("deps.txt", "libfoo 1.0\n"), ("config.ini", "[app]\n")):
        with open(os.path.join(ctx, name), "w") as f:
            f.write(text)
    for i in range(20):
        with open(os.path.join(ctx, "src", f"m{i}.c"), "w") as f:
            f.write(f"int f{i}(void) {{ return {i}; }}\n" * 50)
    return ctx


class Buildah(peers.Peer):
    name = "buildah"
    verb = ["bud", "--layers"]

    def __init__(self, top: str, tarball: str) -> None:
        conf = f"{top}/{self.name}.conf"
        with open(conf, "w") as f:
            f.write('[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n'
                    '[containers]\ndefault_ulimits = ["nofile=20000:20000", '
                    '"nproc=32768:32768"]\n')
        self.env = {**os.environ, "CONTAINERS_CONF": conf}
        self.store = ["--root", f"{top}/{self.name}/root", "--runroot", f"{top}/{self.name}/run",
                      "--storage-driver", "overlay"]
        subprocess.run(["podman", *self.store, "--runtime", "runc", "import", tarball,
                        "localhost/busybox"], env=self.env, check=True, capture_output=True)

    def build_cmd(self, ctx: str, no_cache: bool) -> list[str]:
        return ["buildah", *self.store, "bud", "--layers", "--runtime", "runc", "--network",
                "none", *(["--no-cache"] if no_cache else []), "-q", "-t", "bench:1", ctx]

    def stop(self) -> None:
        subprocess.run(["umount", "-R", "-l", self.store[1]], capture_output=True)


class Podman(Buildah):
    name = "podman"

    def build_cmd(self, ctx: str, no_cache: bool) -> list[str]:
        return ["podman", *self.store, "--runtime", "runc", "build", "--layers", "--network",
                "none", *(["--no-cache"] if no_cache else []), "-q", "-t", "bench:1", ctx]


class Docker(peers.Docker):
    def __init__(self, top: str, tarball: str) -> None:
        super().__init__(top, tarball)
        self.env["DOCKER_BUILDKIT"] = "1"

    def build_cmd(self, ctx: str, no_cache: bool) -> list[str]:
        return self.cmd("build", "--network", "none", *(["--no-cache"] if no_cache else []),
                        "-q", "-t", "bench:1", ctx)


class Teu(peers.Teu):
    def build_cmd(self, ctx: str, no_cache: bool) -> list[str]:
        return self.cmd("build", "--network", "none", *(["--no-cache"] if no_cache else []),
                        "-q", "-t", "bench:1", ctx)


def unmount_under(top: str) -> None:
    """Every mount the peers left under top (containers/storage binds its overlay dir on
    itself), deepest first."""
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    for p in sorted((p for p in points if p.startswith(top.rstrip("/") + "/")), key=len,
                    reverse=True):
        subprocess.run(["umount", "-l", p], capture_output=True)


def timed(tool, ctx: str, no_cache: bool) -> float:  # noqa: ANN001
    t = time.perf_counter()
    p = subprocess.run(tool.build_cmd(ctx, no_cache), env=tool.env, capture_output=True,
                       text=True)
    elapsed = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"{tool.name} build failed:\n{p.stderr[-3000:]}")
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--peers", default="buildah,podman,docker")
    args = ap.parse_args()
    top = tempfile.mkdtemp(prefix="teu-bench-build-")
    tools = []
    try:
        tarball = peers.busybox_tar(os.path.join(top, "busybox.tar"))
        tools.append(Teu(top, tarball))
        makers = {"buildah": Buildah, "podman": Podman, "docker": Docker}
        for name in [p for p in args.peers.split(",") if p]:
            if name == "docker" and not peers.available("docker"):
                print("docker: not installed, skipped")
                continue
            if name in ("buildah", "podman") and not shutil.which(name):
                print(f"{name}: not installed, skipped")
                continue
            tools.append(makers[name](top, tarball))
        contexts = {t.name: make_context(os.path.join(top, t.name + "-ctx")) for t in tools}
        for t in tools:  # warm: base image resolved, caches filled
            timed(t, contexts[t.name], False)
        results: dict[str, dict[str, list[float]]] = {t.name: {"cold": [], "cached": [],
                                                               "changed": []} for t in tools}
        for r in range(args.rounds):
            order = tools[r % len(tools):] + tools[:r % len(tools)]
            for t in order:
                ctx = contexts[t.name]
                results[t.name]["cold"].append(timed(t, ctx, True))
                results[t.name]["cached"].append(timed(t, ctx, False))
                with open(os.path.join(ctx, "src", "m7.c"), "a") as f:
                    f.write(f"/* round {r} */\n")
                results[t.name]["changed"].append(timed(t, ctx, False))
        print(f"\nteu build vs peers, {args.rounds} rounds, medians in seconds "
              "(2 shared cores, eight engineers' load)")
        print(f"{'tool':10} {'cold':>8} {'cached':>8} {'1 file':>8}")
        med = {n: {k: statistics.median(v) for k, v in d.items()} for n, d in results.items()}
        for n, m in med.items():
            print(f"{n:10} {m['cold']:8.3f} {m['cached']:8.3f} {m['changed']:8.3f}")
        for n, m in med.items():
            if n == "teu":
                continue
            ours = med["teu"]
            print(f"teu/{n:8} {ours['cold'] / m['cold']:7.2f}x {ours['cached'] / m['cached']:7.2f}x "
                  f"{ours['changed'] / m['changed']:7.2f}x")
    finally:
        for t in tools:
            t.stop()
        unmount_under(top)
        shutil.rmtree(top, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
