"""Containers as the user sees them: create, start, stop, kill, rm, exec, logs, wait, ...

The tree tells the jobs:

    config/        flags + image config -> Config/HostConfig -> OCI runtime spec
    storage/       where a container's files live: overlay rootfs, init layer, volumes
    monitor/       what runs beside a container: conmon, cleanup, foreground, logs, health
    lifecycle/     verbs that change containers: create, run, start, stop, exec, rm, ...
    views/         verbs that report: inspect, ps, stats, top, logs, system df/info
    files/         verbs on a container's filesystem: cp, diff, export, commit

and the core every one of them uses, here at the top:

    context.py     the engine's handle: paths, the database (opened on first use), locks
    paths.py       where the engine keeps things (--root, --runroot)
    db.py          the containers and volumes tables in <root>/teu.db (SQLite, WAL)
    state.py       what a container's status really is (reconciled with the kernel)
    teardown.py    what a stopped container leaves: runtime record, files, row, volumes
    procs.py       is a recorded pid still that process (pid + start time)
    runtimes.py    the OCI runtime a container runs under (teu-runtime, runc, crun)
    names.py       container IDs and docker-style random names
    timefmt.py     times the way docker prints them
    errors.py      the engine's errors (exit code 125)

There is no daemon: every function runs in a short-lived `teu` (or the caller
of teu.api) and leaves the truth in SQLite and on disk.
"""
