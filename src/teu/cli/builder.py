"""`teu builder prune [-a] [-f]`: clear teu build's step cache (and its cache mounts with
-a), then collect the blobs and layers nothing references any more."""

from __future__ import annotations

import sys

from teu.cli import _imageopts as O
from teu.cli._flags import BOOL, Flag
from teu.errors import TeuError

FLAGS = [Flag("all", "a", BOOL, "Remove the cache mounts (RUN --mount=type=cache) too"),
         Flag("force", "f", BOOL, "Do not prompt for confirmation")]


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: teu builder prune [-a] [-f]", file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 125
    if argv[0] != "prune":
        raise TeuError(f"unknown builder command {argv[0]!r} (see teu builder --help)", 125)
    parsed = O.parse(argv[1:], FLAGS, "teu builder prune", "[OPTIONS]",
                     "Remove build cache", 0, 0)
    if parsed is None:
        return 0
    opts, _ = parsed

    def go() -> int:
        import os
        import shutil

        from teu.cli._confirm import asked

        # teu's step cache has no dangling/used split: prune clears all of it, so the
        # prompt is docker's for `builder prune -a`
        if not asked(opts, "WARNING! This will remove all build cache. "
                           "Are you sure you want to continue?"):
            return 0

        from teu.build.cache import Cache
        from teu.image.store import Store

        with Store(opts.get("root")) as store:
            cache = Cache(store.root)
            try:
                n = cache.clear()
            finally:
                cache.close()
            freed = store.gc()
            if opts.get("all"):
                mounts = os.path.join(store.root, "build-cache")
                if os.path.isdir(mounts):
                    shutil.rmtree(mounts, ignore_errors=True)
        print(f"Deleted build cache objects: {n}")
        print(f"Total reclaimed space: {_size(freed)}")
        return 0

    return O.run("builder prune", go)


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.4g}{unit}" if unit != "B" else f"{n}B"
        n /= 1000  # type: ignore[assignment]
    return f"{n}B"
