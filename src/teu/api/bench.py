"""teu bench from Python: `client.bench(image, runs=5, density=10, vm=True)` returns the
result `teu bench --json` prints (a dict), measured with private roots; `image` is read
from the client's store. Keywords are teu.bench.BenchOptions' fields; an unknown one is
a TypeError, raised before anything is made."""

from __future__ import annotations

import dataclasses
from typing import Any


def run(root: str, image: str | None = None, **options: Any) -> dict[str, Any]:
    from teu.bench import BenchOptions
    from teu.bench import run as bench_run

    known = {f.name for f in dataclasses.fields(BenchOptions)} - {"image", "store_root"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"bench() got unexpected keyword arguments: {', '.join(unknown)}")
    options.setdefault("progress", False)
    if options.get("peers") is not None:
        options["peers"] = tuple(options["peers"])
    return bench_run(BenchOptions(image=image, store_root=root, **options))
