"""`update`: change a container's resource limits (and restart policy), running or not.

The new values go into the container's settings (so the next start has them) and,
while it runs, to its cgroup through the runtime's `update --resources -`."""

from __future__ import annotations

from teu import fastjson
from teu.engine import state as S
from teu.engine.config import options, units
from teu.engine.context import Engine
from teu.engine.errors import EngineError, InvalidArgument

RESOURCE_KEYS = ("memory", "memory_swap", "cpus", "cpu_shares", "cpuset_cpus", "pids_limit")


def update(engine: Engine, ref: str, opts: dict) -> str:
    """Apply the flags (teu.engine.config.options names); returns the container's ID."""
    row = S.refresh(engine, engine.find(ref))
    if row is None:
        raise EngineError(f"No such container: {ref}")
    if not any(opts.get(k) is not None for k in (*RESOURCE_KEYS, "restart")):
        raise InvalidArgument("you must provide one or more flags when using this command")
    settings = row.settings
    host = settings["HostConfig"]
    if opts.get("memory") is not None:
        host["Memory"] = units.size(opts["memory"], "-m, --memory")
    if opts.get("memory_swap") is not None:
        host["MemorySwap"] = units.memory_swap(opts["memory_swap"])
    if opts.get("cpus") is not None:
        host["NanoCpus"] = units.nano_cpus(opts["cpus"])
    if opts.get("cpu_shares") is not None:
        host["CpuShares"] = units.integer(opts["cpu_shares"], "-c, --cpu-shares", 0)
    if opts.get("cpuset_cpus") is not None:
        host["CpusetCpus"] = units.cpuset(opts["cpuset_cpus"])
    if opts.get("pids_limit") is not None:
        host["PidsLimit"] = units.integer(opts["pids_limit"], "--pids-limit")
    if opts.get("restart") is not None:
        policy = units.restart_policy(opts["restart"])
        if policy["Name"] != "no" and host.get("AutoRemove"):
            raise InvalidArgument("Restart policy cannot be updated because AutoRemove is "
                                  "enabled for the container")
        host["RestartPolicy"] = policy
    swap = host.get("MemorySwap") or 0
    if host.get("Memory") and swap not in (0, -1) and swap < host["Memory"]:
        raise InvalidArgument("Memory limit should be smaller than already set memoryswap "
                              "limit, update the memoryswap at the same time")
    options.check_name(row["name"])
    if row["status"] in S.RUNNING and any(opts.get(k) is not None for k in RESOURCE_KEYS):
        _apply(engine, row, host)
    with engine.db.tx() as db:
        db.update(row["id"], settings=fastjson.dumps(settings))
    from teu.engine.events import container as event

    event(engine, row, "update")
    return row["id"]


def _apply(engine: Engine, row, host: dict) -> None:  # noqa: ANN001
    import subprocess

    from teu.engine.config.spec import resources
    from teu.engine.runtimes import for_row

    res = resources(host)
    res.pop("devices", None)  # update leaves device rules alone, as runc's does
    for key, empty in (("memory", {}), ("cpu", {}), ("pids", {})):
        res.setdefault(key, empty)
    if not host.get("PidsLimit") or host["PidsLimit"] <= 0:
        res["pids"] = {"limit": -1}
    if not host.get("NanoCpus"):
        res["cpu"]["quota"] = -1
    if not host.get("Memory"):
        res["memory"] = {"limit": -1, "swap": -1}
    runtime = for_row(engine.paths, row.settings)
    p = subprocess.run(runtime.argv("update", "--resources", "-", row["id"]),
                       input=fastjson.dumps(res), capture_output=True, text=True)
    if p.returncode != 0:
        msg = (p.stderr.strip().splitlines() or ["failed"])[-1]
        raise EngineError(f"update {row['name']}: {msg}")
