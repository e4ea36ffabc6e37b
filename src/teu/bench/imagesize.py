"""image_size_mb: the image compressed (its blobs as a registry stores them) and
uncompressed (its unpacked layers), and, for a set of images sharing it as their base,
the store's real disk use against the sum of their sizes: what the shared layers
save. teu only: the store's layout is ARCHITECTURE.md's (blobs/, layers/)."""

from __future__ import annotations

import json
import os

from teu.bench.engines import Engine

DERIVED = 3              # images built FROM the measured one
DERIVED_BYTES = 256 * 1024  # each adds one file of its own


def disk_use(*paths: str) -> int:
    """Bytes the files under `paths` take on disk, each inode counted once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for top in paths:
        for d, dirs, files in os.walk(top):
            for name in dirs + files:
                st = os.lstat(os.path.join(d, name))
                key = (st.st_dev, st.st_ino)
                if key not in seen:
                    seen.add(key)
                    total += st.st_blocks * 512
    return total


def _sizes(e: Engine, ref: str, root: str) -> tuple[int, int]:
    """(compressed: manifest + config + layer blobs, uncompressed: Size)."""
    info = json.loads(e.call("image", "inspect", ref).stdout)[0]
    desc = info["Descriptor"]
    with open(os.path.join(root, "blobs", *desc["digest"].split(":")), "rb") as f:
        manifest = json.load(f)
    compressed = desc["size"] + manifest["config"]["size"] + sum(
        layer["size"] for layer in manifest["layers"])
    return compressed, info["Size"]


def measure(e: Engine, root: str, workdir: str) -> dict:
    base_c, base_u = _sizes(e, e.image, root)
    ctx = os.path.join(workdir, "derived-context")
    os.makedirs(ctx, exist_ok=True)
    names = []
    for i in range(DERIVED):
        with open(os.path.join(ctx, f"file{i}"), "wb") as f:
            f.write(os.urandom(DERIVED_BYTES))
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write(f"FROM {e.image}\nCOPY file{i} /teubench-{i}\n")
        name = f"teubench/derived-{i}:latest"
        e.call("build", "-q", "-t", name, ctx)
        names.append(name)
    sizes = [_sizes(e, n, root) for n in [e.image, *names]]
    disk = disk_use(os.path.join(root, "layers"))
    blobs = disk_use(os.path.join(root, "blobs"))
    total_u = sum(u for _, u in sizes)
    total_c = sum(c for c, _ in sizes)
    mb = 1e6
    for n in names:
        e.call("rmi", "-f", n, check=False)
    return {"compressed": round(base_c / mb, 3), "uncompressed": round(base_u / mb, 3),
            "shared": {"images": 1 + DERIVED, "added_per_image_mb": round(DERIVED_BYTES / mb, 3),
                       "sum_of_sizes": round(total_u / mb, 3),
                       "layers_disk_use": round(disk / mb, 3),
                       "sum_of_compressed": round(total_c / mb, 3),
                       "blobs_disk_use": round(blobs / mb, 3),
                       "saved_ratio": round(total_u / disk, 2) if disk else None}}
