"""One `teu bench` run: private engines in a work directory, every measurement in
turn (a row that cannot be measured says why and the rest runs), ratios, and a
cleanup that removes every container, VM, process and file the run made, also when
it is interrupted (Ctrl-C, SIGTERM)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict

from teu.bench import density, engines, imagesize, machine, memory, procs, startup, throughput
from teu.bench.options import BenchOptions
from teu.bench.progress import Progress

SERVICE_IMAGE = "teubench/busybox:latest"  # the HTTP rows' image (busybox httpd)
READY_RUNS = 5
VM_RUNS = 5


class Run:
    """What one run has made, so that cleanup finds all of it."""

    def __init__(self, opts: BenchOptions) -> None:
        self.opts = opts
        if opts.workdir:
            os.makedirs(opts.workdir, exist_ok=True)
        self.workdir = tempfile.mkdtemp(prefix="teu-bench-", dir=opts.workdir)
        self.engines: list[engines.Engine] = []
        self.guests: list = []          # teu.bench.vm.Guest
        self.servers: list[subprocess.Popen] = []
        self.result: dict = {"machine": machine.facts(), "options": _options(opts),
                             "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                             "engines": {}}
        self.bar = Progress(1, opts.progress)

    def row(self, key: str, fn: Callable[[], object], *path: str) -> None:
        """result[key][path...] = fn(), or {"skipped": why} when it fails."""
        self.bar.section(key.replace("_", " "))
        try:
            value = fn()
        except (RuntimeError, OSError, ValueError, subprocess.SubprocessError) as e:
            value = {"skipped": str(e).strip().splitlines()[-1][:400] if str(e) else repr(e)}
        target = self.result.setdefault(key, {})
        for p in path[:-1]:
            target = target.setdefault(p, {})
        if path:
            target[path[-1]] = value
        else:
            self.result[key] = value

    def cleanup(self) -> None:
        for g in self.guests:
            g.stop()
        for s in self.servers:
            if s.poll() is None:
                s.kill()
            s.wait()
        for e in self.engines:
            try:
                e.stop()
            except (RuntimeError, OSError, subprocess.SubprocessError):
                pass
        # anything of ours still running (a monitor, a server) is ended by its PID
        for pid in procs.mentioning(self.workdir):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for m in reversed(_mounts_under(self.workdir)):
            subprocess.run(["umount", "-l", m], capture_output=True)
        shutil.rmtree(self.workdir, ignore_errors=True)


def _options(opts: BenchOptions) -> dict:
    d = asdict(opts)
    d.pop("progress", None)
    d["peers"] = list(opts.peers) if opts.peers is not None else None
    return d


def _mounts_under(top: str) -> list[str]:
    prefix = top.rstrip("/") + "/"
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(prefix)]


def _image_source(opts: BenchOptions, workdir: str) -> engines.ImageSource:
    from teu.testing.busybox import make_rootfs

    if opts.image is None:
        rootfs = os.path.join(workdir, "busybox-rootfs")
        make_rootfs(rootfs)
        path = os.path.join(workdir, "busybox.tar")
        subprocess.run(["tar", "-C", rootfs, "-cf", path, "."], check=True)
        shutil.rmtree(rootfs)
        return engines.ImageSource(path, "rootfs", "busybox")
    path = os.path.join(workdir, "image.tar")
    env = {**os.environ, **({"TEU_ROOT": opts.store_root} if opts.store_root else {})}
    p = subprocess.run([*engines.teu_argv(), "save", "-o", path, opts.image],
                       capture_output=True, text=True, env=env)
    if p.returncode:
        from teu.errors import TeuError

        why = (p.stderr.strip().splitlines() or ["teu save failed"])[-1]
        raise TeuError(f"cannot read image {opts.image}: {why}", 1)
    return engines.ImageSource(path, "archive", opts.image)


def _peers(opts: BenchOptions) -> list[str]:
    return list(engines.PEERS if opts.peers is None else opts.peers)


def run(opts: BenchOptions) -> dict:
    """Measure everything `opts` asks for; the result is JSON-ready."""
    r = Run(opts)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        _measure(r)
    finally:
        r.bar.close()
        keep = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C waits
        try:
            r.cleanup()
        finally:
            signal.signal(signal.SIGINT, keep)
            signal.signal(signal.SIGTERM, previous)
    r.result["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    r.result["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    r.result["ratios"] = ratios(r.result)
    return r.result


def _interrupt(signum: int, frame: object) -> None:  # noqa: ARG001
    raise KeyboardInterrupt


def _measure(r: Run) -> None:
    opts = r.opts
    src = _image_source(opts, r.workdir)
    teu = engines.TeuEngine(r.workdir)
    r.engines.append(teu)
    teu.load(src)
    r.result["engines"]["teu"] = {"version": teu.version(), "image": src.name}
    if src.kind == "rootfs":
        teu.call("tag", teu.image, SERVICE_IMAGE)
    else:  # the user's image may have no httpd: the HTTP rows use busybox's
        teu.call("import", _image_source(BenchOptions(), r.workdir).path, SERVICE_IMAGE)
    peers = []
    for name in _peers(opts):
        why = engines.installed(name)
        if why is None:
            try:
                r.bar.section(f"starting {name}")
                e = engines.make(name, r.workdir)
                r.engines.append(e)
                e.load(src)
                peers.append(e)
                r.result["engines"][name] = {"version": e.version(), "image": src.name}
                continue
            except (RuntimeError, OSError, subprocess.SubprocessError) as err:
                why = f"could not start: {str(err)[-300:]}"
        r.result["engines"][name] = {"skipped": why}
    every = [teu, *peers]
    www = os.path.join(r.workdir, "www")
    os.makedirs(www)
    with open(os.path.join(www, "index.html"), "w") as f:
        f.write("x" * 1024)
    lim, limited_by = density.limit()
    steps = opts.density_steps(lim)
    ready_runs = min(opts.runs, READY_RUNS)
    vm_runs = min(opts.runs, VM_RUNS)
    r.bar.grow(opts.runs * 2 * len(every) + len(every) + 1
               + ((ready_runs + opts.rounds) if opts.network else 0)
               + (steps[-1] * len(every) if steps else 0) + ((vm_runs + 1) if opts.vm else 0))

    r.bar.section("startup")
    try:
        for name, rows in startup.cold_and_warm(every, src, opts.runs, r.bar).items():
            r.result.setdefault("startup_time_ms", {})[name] = rows
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        r.result["startup_time_ms"] = {"skipped": str(e)[-400:]}
    no_net = {"skipped": "not asked for (--no-network)"}
    if opts.network:
        r.row("startup_time_ms", lambda: startup.time_to_ready(
            teu, SERVICE_IMAGE, www, ready_runs, r.bar), "teu", "ready")
    else:
        r.result.setdefault("startup_time_ms", {}).setdefault("teu", {})["ready"] = no_net
    for e in every:
        r.row("memory_overhead_mb", lambda e=e: memory.overhead(e, opts.memory_containers),
              e.name)
        r.bar.step(f"memory: {e.name}")
    r.row("image_size_mb", lambda: imagesize.measure(teu, teu.env["TEU_ROOT"], r.workdir))
    r.bar.step("image sizes")
    if opts.network:
        r.row("throughput_rps", lambda: throughput.measure(
            teu, SERVICE_IMAGE, www, r.workdir, opts.rounds, opts.seconds, r.bar, r.servers))
    else:
        r.result["throughput_rps"] = no_net
    r.result["density"] = {"limit": lim, "limited_by": limited_by, "steps": steps}
    for e in every:
        r.row("density", lambda e=e: density.grow(e, steps, r.bar), e.name)
    if opts.vm:
        from teu.bench import vm

        host = r.result.get("throughput_rps", {}).get("host")
        r.row("vm", lambda: vm.measure(vm_runs, opts.vm_accel, opts.kernel_dir, r.workdir,
                                       host, opts.seconds, r.bar, r.guests))
    if opts.scenario == "shop":
        from teu.bench import shop

        r.row("scenario", lambda: shop.measure(teu, SERVICE_IMAGE, opts, r, www), "shop")


def _get(d: dict, *path: str) -> float | None:
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d if isinstance(d, int | float) else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def ratios(res: dict) -> dict:
    """teu against each peer measured in the same run, and the container against the VM."""
    out: dict = {}
    for peer in ("podman", "docker"):
        if "skipped" in res["engines"].get(peer, {"skipped": 1}):
            continue
        out[f"teu/{peer}"] = {
            "startup_warm_p50": _ratio(_get(res, "startup_time_ms", "teu", "warm", "p50"),
                                       _get(res, "startup_time_ms", peer, "warm", "p50")),
            "startup_cold_p50": _ratio(_get(res, "startup_time_ms", "teu", "cold", "p50"),
                                       _get(res, "startup_time_ms", peer, "cold", "p50")),
            "memory_per_container": _ratio(
                _get(res, "memory_overhead_mb", "teu", "per_container"),
                _get(res, "memory_overhead_mb", peer, "per_container"))}
    vm = res.get("vm", {})
    if "boot_ms" in vm:
        ctr_mem = _get(res, "memory_overhead_mb", "teu", "per_container")
        own = _get(res, "memory_overhead_mb", "teu", "container_own_per_container")
        out["vm/container"] = {
            "startup": _ratio(_get(vm, "boot_ms", "p50"),
                              _get(res, "startup_time_ms", "teu", "warm", "p50")),
            "ready": _ratio(_get(vm, "ready_ms"),
                            _get(res, "startup_time_ms", "teu", "ready", "p50")),
            "memory": _ratio(_get(vm, "pss_mib"),
                             (ctr_mem or 0) + (own or 0) if ctr_mem is not None else None),
            "throughput": _ratio(_get(vm, "throughput_rps"),
                                 _get(res, "throughput_rps", "container"))}
    return out
