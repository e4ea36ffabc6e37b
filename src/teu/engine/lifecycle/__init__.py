"""The verbs that make, start, change and end containers.

    create.py      a container's record and files, nothing running yet
    launch.py      starting: root filesystem and spec, then conmon or the foreground
    run.py         create + start (+ wait)
    control.py     stop, kill, restart, pause, unpause, rename
    waiting.py     wait, and the waiting that stop, rm -f and attached runs do
    execute.py     exec: another process in a running container
    update.py      change a container's resource limits and restart policy
    remove.py      rm: a container's row and files
    prune.py       container prune (and the containers part of system prune)
"""
