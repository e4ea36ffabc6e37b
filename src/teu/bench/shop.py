"""`teu bench --scenario shop`: the seed's e-commerce example, a small shop of three
services (web, catalog, cart; each busybox httpd with its own pages) brought up as teu
containers on a network of their own, each published on a loopback port, and with
--vm as three qemu guests (one service each, behind qemu's user networking):
time until all three answer, the memory they take together, and requests per second
across the services (the three loaded at once)."""

from __future__ import annotations

import os
import time

from teu.bench import httpload, memory, procs
from teu.bench.engines import Engine

SERVICES = {"web": "<h1>teu shop</h1>", "catalog": '{"items": [{"id": 1, "name": "mug"}]}',
            "cart": '{"items": []}'}
NETWORK = "teubench-shop"


def _all_ready(ports: list[int], start: float, timeout: float) -> float | None:
    waiting = set(ports)
    while waiting and time.monotonic() - start < timeout:
        waiting = {p for p in waiting if not httpload.answers(p, timeout=0.5)}
        if waiting:
            time.sleep(0.005)
    return None if waiting else time.monotonic() - start


def containers(e: Engine, image: str, workdir: str, seconds: int) -> dict:
    ports = {}
    e.call("network", "create", NETWORK)
    try:
        for name, page in SERVICES.items():
            d = os.path.join(workdir, "shop", name)
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "index.html"), "w") as f:
                f.write(page)
        t0 = time.monotonic()
        for name in SERVICES:
            ports[name] = httpload.free_port()
            e.call("run", "-d", "--name", f"teubench-shop-{name}", "--network", NETWORK,
                   "--network-alias", name, "-p", f"127.0.0.1:{ports[name]}:80", "-v",
                   f"{workdir}/shop/{name}:/www:ro", image, "httpd", "-f", "-p", "80",
                   "-h", "/www")
        ready = _all_ready(list(ports.values()), t0, 60)
        if ready is None:
            raise RuntimeError("the shop's containers did not all answer in 60 s")
        a = memory.account(e)
        rates = httpload.rps_many(list(ports.values()), seconds)
    finally:
        e.remove_all()
        e.call("network", "rm", NETWORK, check=False)
    return {"services": list(SERVICES), "all_ready_ms": round(ready * 1000, 1),
            "memory_mib": procs.mib(a["engine_kib"] + a["container_kib"] + a["daemon_kib"]),
            "rps": dict(zip(SERVICES, [round(x, 1) for x in rates], strict=True)),
            "total_rps": round(sum(rates), 1)}


def vms(setup, seconds: int, track: list) -> dict:  # noqa: ANN001 - a teu.bench.vm.Setup
    if not setup.modules:
        raise RuntimeError("the kernel's virtio-net modules were not found")
    guests = []
    try:
        t0 = time.monotonic()
        for _ in SERVICES:
            guests.append(setup.boot(httpload.free_port(), track))
        ports = [g.port for g in guests]
        ready = _all_ready(ports, t0, setup.limit * len(SERVICES))
        if ready is None:
            raise RuntimeError("the shop's VMs did not all answer in time")
        time.sleep(2.0)
        mem = sum(procs.pss_kib(g.proc.pid) for g in guests)
        rates = httpload.rps_many(ports, seconds)
    finally:
        for g in guests:
            g.stop()
            track.remove(g)
    return {"services": list(SERVICES), "accel": setup.accel,
            "all_ready_ms": round(ready * 1000, 1), "memory_mib": procs.mib(mem),
            "rps": dict(zip(SERVICES, [round(x, 1) for x in rates], strict=True)),
            "total_rps": round(sum(rates), 1)}


def measure(e: Engine, image: str, opts, run, www: str) -> dict:  # noqa: ANN001, ARG001
    """Both sides; a side that cannot run says why (run: teu.bench.runner.Run)."""
    out: dict = {}
    run.bar.section("shop: containers")
    try:
        out["containers"] = containers(e, image, run.workdir, opts.seconds)
    except (RuntimeError, OSError) as err:
        out["containers"] = {"skipped": str(err)[-400:]}
    if opts.vm:
        from teu.bench import vm

        run.bar.section("shop: VMs")
        try:
            accel = run.result.get("vm", {}).get("accel") or opts.vm_accel
            setup = vm.prepare(accel, opts.kernel_dir, run.workdir, run.bar, run.guests)
            out["vms"] = vms(setup, opts.seconds, run.guests)
        except (RuntimeError, OSError) as err:
            out["vms"] = {"skipped": str(err)[-400:]}
    else:
        out["vms"] = {"skipped": "not asked for (--vm)"}
    return out
