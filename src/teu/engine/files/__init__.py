"""The verbs on a container's filesystem from outside: copy in and out, diff, export, commit.

    fsaccess.py    work inside a container's filesystem from a forked child, safely
    cp.py          cp: copy files between a container and the host
    diff.py        diff: what changed, from the overlay upper directory
    export.py      export: the container's filesystem as a tar
    commit.py      commit: the container's changes as a new image
"""
