"""`run|create --pod new:NAME` (podman's): make the pod, then the container in it.

It sits above both teu.engine.lifecycle.create and teu.engine.pods.lifecycle (which
makes a pod's infra container through lifecycle.create), so neither imports the other.
"""

from __future__ import annotations

from teu.engine.context import Engine
from teu.engine.db import Row


def create(engine: Engine, opts: dict, final_status: str = "created") -> Row:
    """lifecycle.create's `create`, except that `--pod new:NAME` makes that pod first
    (and removes it again if the container fails)."""
    from teu.engine.lifecycle.create import create as create_container

    if not str(opts.get("pod") or "").startswith("new:"):
        return create_container(engine, opts, final_status)
    from teu.engine.pods.lifecycle import create_for_container
    from teu.engine.pods.lifecycle import remove as remove_pod

    opts = dict(opts)
    made = create_for_container(engine, opts)
    try:
        return create_container(engine, opts, final_status)
    except BaseException:
        remove_pod(engine, made.id, force=True)
        raise
