"""`diff`: what changed in a container's filesystem, from its overlay upper directory.

    A /path   added        C /path   changed (or a directory with changes below)
    D /path   deleted (an overlay whiteout)

A path present in any of the image's layers is a change, else an addition; the
directories that lead to a change are listed as changed, as docker does.
"""

from __future__ import annotations

import os
import stat

from teu.engine.context import Engine
from teu.engine.errors import EngineError


def changes(engine: Engine, ref: str) -> list[tuple[str, str]]:
    row = engine.find(ref)
    teu = row.settings["Teu"]
    if teu.get("Storage", "overlay") != "overlay":
        raise EngineError("diff: not available for containers on the vfs driver")
    upper = engine.paths.container(row["id"], "upper")
    from teu.engine.lifecycle.launch import layers_of

    layers = layers_of(engine.paths.container(row["id"]), teu)
    out: dict[str, str] = {}

    def in_image(rel: str) -> bool:
        return any(os.path.lexists(os.path.join(layer, rel)) for layer in layers)

    for top, dirs, files in os.walk(upper):
        rel_top = os.path.relpath(top, upper)
        for name in dirs + files:
            rel = os.path.normpath(os.path.join(rel_top, name))
            st = os.lstat(os.path.join(top, name))
            if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
                kind = "D"
            elif in_image(rel):
                kind = "C"
            else:
                kind = "A"
            out["/" + rel] = kind
            parent = os.path.dirname("/" + rel)
            while parent != "/" and parent not in out:
                out[parent] = "C"
                parent = os.path.dirname(parent)
    return sorted(((k, p) for p, k in out.items()), key=lambda x: x[1])
