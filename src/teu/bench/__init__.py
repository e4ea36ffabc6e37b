"""teu bench: the seed's four metrics (startup_time_ms, memory_overhead_mb,
image_size_mb, throughput_rps) and density, measured on the user's machine and image,
beside podman and docker when installed and beside a real VM (qemu) with `--vm`.

    from teu.bench import BenchOptions, run
    result = run(BenchOptions(runs=5, density=10))   # a JSON-ready dict

One module per measurement (startup, memory, imagesize, throughput, density, vm, shop),
the engines they drive (engines), the run and its cleanup (runner), the output
(report: table and JSON; html and plots: the report file).
"""

from __future__ import annotations

from teu.bench.options import BenchOptions
from teu.bench.runner import run

__all__ = ["BenchOptions", "run"]
