"""startup_time_ms: `run --rm IMAGE true` cold (the first run after the image is
unpacked into the store: remove it, load it again, run) and warm, each engine in
turn in every round so load on the machine falls on all of them alike; and teu's
time-to-ready of a service (from `run -d` to the first good HTTP answer through a
published port)."""

from __future__ import annotations

import random
import time

from teu.bench import httpload, procs
from teu.bench.engines import Engine, ImageSource
from teu.bench.progress import Progress


def _time_run(e: Engine, image: str) -> float:
    t0 = time.perf_counter()
    e.call(*e.run_args(), "--rm", image, "true")
    return (time.perf_counter() - t0) * 1000


def cold_and_warm(engines: list[Engine], src: ImageSource, runs: int, bar: Progress
                  ) -> dict[str, dict]:
    cold: dict[str, list[float]] = {e.name: [] for e in engines}
    warm: dict[str, list[float]] = {e.name: [] for e in engines}
    for _ in range(runs):
        for e in random.sample(engines, len(engines)):
            e.unload()
            e.load(src)
            cold[e.name].append(_time_run(e, e.image))
            bar.step(f"startup cold: {e.name}")
    for e in engines:
        _time_run(e, e.image)  # one run not counted: the warm rows start warm
    for _ in range(runs):
        for e in random.sample(engines, len(engines)):
            warm[e.name].append(_time_run(e, e.image))
            bar.step(f"startup warm: {e.name}")
    return {e.name: {"cold": procs.summary(cold[e.name]), "warm": procs.summary(warm[e.name])}
            for e in engines}


def time_to_ready(e: Engine, image: str, www: str, runs: int, bar: Progress) -> dict:
    """`run -d -p 127.0.0.1:PORT:80 IMAGE httpd` to the first 200 through the port."""
    samples = []
    for i in range(runs):
        port = httpload.free_port()
        name = f"teubench-ready-{i}"
        t0 = time.monotonic()
        e.call(*e.serve_args(name, port, www), image, "httpd", "-f", "-p", "80", "-h", "/www")
        took = httpload.wait_ready(port, t0)
        e.call(*e.rm_args(), name, check=False)
        if took is None:
            raise RuntimeError(f"no answer on 127.0.0.1:{port} within 30 s")
        samples.append(took * 1000)
        bar.step(f"time to ready: {e.name}")
    return procs.summary(samples)
