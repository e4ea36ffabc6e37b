"""Containers as the user sees them: create, start, stop, kill, rm, exec, logs, wait, ...

One module per job:

    paths.py       where a container's files live (--root, --runroot)
    db.py          the containers and volumes tables in <root>/teu.db (SQLite, WAL)
    units.py       docker's value syntaxes: sizes, CPUs, durations, signals, ulimits
    options.py     flags (CLI or API) -> docker-shaped Config and HostConfig, validated
    images.py      the image a container is made from (a fast path over the store's tables)
    spec.py        Config + HostConfig + image config -> OCI runtime spec, hardened like docker
    seccomp.py     docker's default seccomp profile -> the spec's linux.seccomp
    rootfs.py      overlayfs over the image's shared layers (or a copy), in a private
                   mount namespace so nothing is ever left mounted on the host
    conmon.py      one conmon per detached container (stdio, log, exit code)
    monitor.py     a foreground container driven in-process through teu.runtime
    state.py       what a container's status really is (reconciled with the kernel)
    lifecycle.py   create, start, stop, kill, remove, wait, restart, pause
    ...

There is no daemon: every function runs in a short-lived `teu` (or the caller
of teu.api) and leaves the truth in SQLite and on disk.
"""
