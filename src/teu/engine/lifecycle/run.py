"""`run`: create and start a container; unless detached, wait for it and return its code.

A foreground container under teu-runtime with no restart policy and no health
check is driven in this process (teu.engine.monitor.foreground): no conmon, no second
Python. Anything else (detached, another runtime, a restart policy or health
check that must outlive teu) gets conmon, and a foreground run attaches to it.
"""

from __future__ import annotations

from teu.engine.context import Engine


def in_process(settings: dict, detach: bool) -> bool:
    host = settings["HostConfig"]
    health = (settings["Config"].get("Healthcheck") or {}).get("Test") or ["NONE"]
    return (not detach and (host.get("Runtime") or "teu-runtime") == "teu-runtime"
            and (host.get("RestartPolicy") or {}).get("Name", "no") == "no"
            and health[0] == "NONE")


def run(engine: Engine, opts: dict, created=None) -> tuple[str, int]:  # noqa: ANN001
    """(container ID, exit code). Detached: the code is 0 once the container runs.
    `created(ID)` is called once the container exists, before its start (docker run -d
    prints the ID then, so a failed start still names the container it left)."""
    from teu.engine.pods.new import create

    detach = bool(opts.get("detach"))
    row = create(engine, opts, final_status="creating")
    if created is not None:
        created(row["id"])
    settings = row.settings
    if in_process(settings, detach):
        from teu.engine.monitor import foreground
        from teu.engine.runtimes import for_row

        return row["id"], foreground.run(engine, row, for_row(engine.paths, settings))
    from teu.engine.lifecycle.launch import _attached_wait, start_detached

    row, sock = start_detached(engine, row, attach_stdio=not detach)
    if detach:
        return row["id"], 0
    config = settings["Config"]
    return row["id"], _attached_wait(engine, row, sock, bool(opts.get("interactive")),
                                     (config.get("AttachStdout", True),
                                      config.get("AttachStderr", True)))
