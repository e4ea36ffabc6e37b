"""`system df`, `system prune` and `info`: what teu holds, and removing what nothing uses."""

from __future__ import annotations

import os

from teu.engine import state as S
from teu.engine.context import Engine


def _store(engine: Engine):  # noqa: ANN202
    from teu.image.store import Store

    return Store(engine.paths.root)


def df(engine: Engine) -> list[dict]:
    """docker system df's rows: Images, Containers, Local Volumes, Build Cache."""
    from teu.engine.config.units import size_text
    from teu.engine.lifecycle.prune import containers_df
    from teu.engine.storage.volumes import du, volume_names

    rows = S.refresh_all(engine)
    used_images = {r["image_id"] for r in rows}
    with _store(engine) as st:
        imgs = st.images()
    img_size = sum(i.size for i in imgs)
    img_reclaim = sum(i.size for i in imgs if i.id not in used_images)
    c = containers_df(engine)
    used_vols = set()
    for r in rows:
        used_vols.update(volume_names(r.settings))
    vols = engine.db.volumes()
    vol_sizes = {v["name"]: du(engine.paths.volume(v["name"])) for v in vols}

    def pct(part: int, whole: int) -> str:
        return f" ({part * 100 // whole}%)" if whole else ""

    return [
        {"Type": "Images", "TotalCount": str(len(imgs)),
         "Active": str(sum(1 for i in imgs if i.id in used_images)),
         "Size": size_text(img_size), "Reclaimable": size_text(img_reclaim)
         + pct(img_reclaim, img_size)},
        {"Type": "Containers", "TotalCount": str(c["total"]), "Active": str(c["active"]),
         "Size": size_text(c["size"]), "Reclaimable": size_text(c["reclaimable"])
         + pct(c["reclaimable"], c["size"])},
        {"Type": "Local Volumes", "TotalCount": str(len(vols)),
         "Active": str(sum(1 for v in vols if v["name"] in used_vols)),
         "Size": size_text(sum(vol_sizes.values())),
         "Reclaimable": size_text(sum(s for n, s in vol_sizes.items() if n not in used_vols))},
        {"Type": "Build Cache", "TotalCount": "0", "Active": "0", "Size": "0B",
         "Reclaimable": "0B"},
    ]


def prune(engine: Engine, all_images: bool = False, volumes: bool = False,
          filters: list[str] | dict | None = None) -> dict:
    """docker system prune, in docker's order: stopped containers, networks no container
    uses, unused volumes (with volumes), dangling (or, with all_images, unused) images;
    all matching the filters (label, label!, until); what went and the bytes freed."""
    from teu.engine import network
    from teu.engine.errors import InvalidArgument
    from teu.engine.lifecycle.prune import prune_containers
    from teu.engine.storage import volumes as V
    from teu.engine.timefmt import parse_rfc3339, until_of
    from teu.labelfilter import parse

    wanted = parse(filters, allowed=("until",))
    if volumes and "until" in wanted:
        raise InvalidArgument('ERROR: The "until" filter is not supported with "--volumes"')
    labels = {k: v for k, v in wanted.items() if k != "until"}
    containers, freed = prune_containers(engine, wanted)
    networks = network.prune(engine, wanted)
    removed_vols: list[str] = []
    if volumes:
        removed_vols, vol_freed = V.prune(engine.paths, engine.db, filters=labels)
        freed += vol_freed
    until = until_of(wanted)

    def newer(row) -> bool:  # noqa: ANN001 - an image made at or after `until` stays
        try:
            return until is not None and parse_rfc3339(row.created or "") >= until
        except (ValueError, IndexError):
            return True  # no creation time: kept, as dockerd keeps what it cannot date
    with _store(engine) as st:
        events, img_freed = st.prune(all=all_images, filters=labels, keep=newer)
    return {"containers": containers, "networks": networks, "volumes": removed_vols,
            "images": events, "freed": freed + img_freed}


def info(engine: Engine) -> dict:
    from teu import __version__
    from teu.engine.config.options import default_runtime
    from teu.engine.runtimes import find_program

    rows = S.refresh_all(engine)
    try:
        with _store(engine) as st:
            nimages = len(st.images())
    except Exception:  # noqa: BLE001 - no store yet
        nimages = 0
    cg = "2" if os.path.exists("/sys/fs/cgroup/cgroup.controllers") else "1"
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    u = os.uname()
    runtimes = [r for r in ("teu-runtime", "runc", "crun") if find_program(r)]
    return {
        "Containers": len(rows),
        "ContainersRunning": sum(1 for r in rows if r["status"] == "running"),
        "ContainersPaused": sum(1 for r in rows if r["status"] == "paused"),
        "ContainersStopped": sum(1 for r in rows if r["status"] not in S.RUNNING),
        "Images": nimages, "ServerVersion": f"teu {__version__} (no daemon)",
        "Driver": os.environ.get("TEU_STORAGE_DRIVER") or "overlay",
        "LoggingDriver": "k8s-file", "CgroupDriver": "cgroupfs", "CgroupVersion": cg,
        "Runtimes": runtimes, "DefaultRuntime": default_runtime(),
        "KernelVersion": u.release, "OperatingSystem": _os_name(), "OSType": "linux",
        "Architecture": u.machine, "NCPU": os.cpu_count(), "MemTotal": mem,
        "DockerRootDir": engine.paths.root, "RunRoot": engine.paths.runroot,
        "Name": u.nodename, "SecurityOptions": ["name=seccomp,profile=builtin"],
    }


def _os_name() -> str:
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "Linux"
