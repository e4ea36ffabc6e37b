"""`teu kube down FILE` (and `play --down`, `play --replace`): what play made from the
same manifests goes: the pods labelled with each workload (all replicas, whatever
their number now), their files, their emptyDir volumes, and the claims' volumes that
play created (a volume that existed before play stays)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable

from teu.kube.manifest import Doc
from teu.kube.play import MADE, PLAY, files_dir, unbalance

Say = Callable[[str], None]
DOWN_GRACE = 5.0


def down(engine, docs: list[Doc], say: Say) -> list[str]:  # noqa: ANN001
    """The IDs of the pods removed."""
    from teu.engine.pods import store
    from teu.engine.pods.lifecycle import remove, stop_pods
    from teu.engine.storage import volumes as V

    wanted = {f"{d.kind}/{d.name}" for d in docs if d.kind in ("Pod", "Deployment", "Job")}
    ports = unbalance(engine.paths.root, wanted | {f"Service/{d.name}" for d in docs
                                                   if d.kind == "Service"})
    if ports:
        say("Ports removed:\n" + "\n".join(ports))
    pods = [p for p in store.all_pods(engine.db) if p.labels.get(PLAY) in wanted]
    if pods:
        # All at once: each container's stop signal, SIGKILL after its grace period
        # (terminationGracePeriodSeconds) or 5 s, whichever is shorter.
        stop_pods(engine, pods, None, DOWN_GRACE)
        say("Pods stopped:\n" + "\n".join(p.id for p in pods))
        say("Pods removed:")
    removed = []
    for p in pods:
        remove(engine, p.id, force=True, volumes=True)
        shutil.rmtree(files_dir(engine.paths.root, p.name), ignore_errors=True)
        removed.append(p.id)
        say(p.id)
    names = {p.name for p in pods}
    claims = {d.name for d in docs if d.kind == "PersistentVolumeClaim"}
    gone = []
    for v in engine.db.volumes():
        import json

        made = json.loads(v["labels"] or "{}").get(MADE, "")
        kind, _, owner = made.partition("/")
        if (kind == "emptyDir" and owner in names) or \
                (kind == "PersistentVolumeClaim" and owner in claims and v["name"] in claims):
            try:
                V.remove(engine.paths, engine.db, v["name"])
                gone.append(v["name"])
            except Exception as e:  # noqa: BLE001 - in use by something else: say so
                say(f"volume {v['name']} kept: {e}")
    if gone:
        say("Volumes removed:\n" + "\n".join(gone))
    d = os.path.join(engine.paths.root, "kube", "pods")
    if os.path.isdir(d) and not os.listdir(d):
        os.rmdir(d)
    return removed
