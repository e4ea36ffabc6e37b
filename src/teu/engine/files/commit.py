"""`commit`: a container's changes (its overlay upper directory) as a new image layer on
top of its image, with the container's run config (and --change lines) as the image's.

The running container is paused while its upper directory is read (docker's
--pause default), so the layer is one moment's state.
"""

from __future__ import annotations

import json
import os
import time

from teu.engine import state as S
from teu.engine.context import Engine
from teu.engine.errors import EngineError

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
KEPT = ("User", "ExposedPorts", "Env", "Cmd", "Entrypoint", "Volumes", "WorkingDir",
        "Labels", "StopSignal", "Healthcheck", "OnBuild", "Shell")


def commit(engine: Engine, ref: str, name: str | None = None, changes: list[str] | None = None,
           message: str = "", author: str = "", pause: bool = True) -> str:
    """The new image's ID."""
    row = S.refresh(engine, engine.find(ref))
    if row is None:
        raise EngineError(f"No such container: {ref}")
    if row.settings["Teu"].get("Storage", "overlay") != "overlay":
        raise EngineError("commit: not available for containers on the vfs driver")
    from teu.engine.lifecycle.control import pause as do_pause
    from teu.engine.lifecycle.control import unpause

    paused = False
    if pause and row["status"] == "running":
        do_pause(engine, row["id"])
        paused = True
    try:
        image_id = _commit(engine, row, name, changes or [], message, author)
        _report(engine, row, image_id, name, message)
        return image_id
    finally:
        if paused:
            unpause(engine, row["id"])


def _report(engine: Engine, row, image_id: str, name: str | None,  # noqa: ANN001
            message: str) -> None:
    """dockerd's events for a commit: the image's tag (if named), the container's commit."""
    from teu.engine.events import container as event
    from teu.image.events import by_id
    from teu.image.reference import parse
    from teu.image.store import Store

    ref = parse(name).familiar() if name else ""
    if ref:
        by_id(Store(engine.paths.root), "tag", image_id, ref)
    event(engine, row, "commit", comment=message, imageID=image_id, imageRef=ref)


def _commit(engine: Engine, row, name: str | None, changes: list[str], message: str,  # noqa: ANN001
            author: str) -> str:
    import tempfile

    from teu.image import reference as R
    from teu.image.compression import compressor
    from teu.image.diff import diff_overlay
    from teu.image.importer import apply_changes
    from teu.image.store import Store
    from teu.image.types import SourceImage
    from teu.image.writer import write_image
    from teu.oci import media_types as MT
    from teu.oci.descriptor import Descriptor

    ref = R.parse(name) if name else None
    upper = engine.paths.container(row["id"], "upper")
    with Store(engine.paths.root) as store, store.lock():
        parent = store.image(row["image_id"])
        tmpdir = os.path.join(engine.paths.root, "tmp")
        os.makedirs(tmpdir, mode=0o700, exist_ok=True)
        with tempfile.TemporaryFile(dir=tmpdir) as tar, \
                tempfile.TemporaryFile(dir=tmpdir) as gz:
            result = diff_overlay(upper, tar)
            tar.seek(0)
            w = compressor("gzip", gz)
            while block := tar.read(1 << 20):
                w.write(block)
            w.close()
            gz.seek(0)
            layer_digest = store.blobs.put_stream(gz)
        layer_size = store.blobs.size(layer_digest) or 0
        config = json.loads(parent.raw_config())
        cc = {k: v for k, v in row.settings["Config"].items() if k in KEPT and v}
        apply_changes(cc, changes)
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        config["config"] = cc
        config["created"] = created
        if author:
            config["author"] = author
        config.setdefault("rootfs", {"type": "layers", "diff_ids": []})
        config["rootfs"]["diff_ids"] = [*config["rootfs"].get("diff_ids", []),
                                        str(result.diff_id)]
        step = {"created": created, "created_by": "teu commit"}
        if message:
            step["comment"] = message
        if author:
            step["author"] = author
        config["history"] = [*config.get("history", []), step]
        raw_config = json.dumps(config, separators=(",", ":")).encode()
        pm = json.loads(parent.raw_manifest())
        docker = pm.get("mediaType") == DOCKER_MANIFEST
        config_type = "application/vnd.docker.container.image.v1+json" if docker \
            else MT.OCI_CONFIG
        layer_type = "application/vnd.docker.image.rootfs.diff.tar.gzip" if docker \
            else MT.OCI_LAYER_GZIP
        manifest = {"schemaVersion": 2, "mediaType": pm.get("mediaType") or MT.OCI_MANIFEST,
                    "config": Descriptor.for_bytes(config_type, raw_config).to_dict(),
                    "layers": [*pm.get("layers", []),
                               {"mediaType": layer_type, "digest": str(layer_digest),
                                "size": layer_size}]}
        raw_manifest = json.dumps(manifest, separators=(",", ":")).encode()
        store.blobs.put_bytes(raw_config)

        def open_blob(desc: Descriptor, offset: int = 0):  # noqa: ANN202
            return store.open_blob(desc, offset)

        image = SourceImage(raw_manifest, open_blob, manifest["mediaType"],
                            name=name or "commit")
        written = write_image(store, image, name=name or "commit",
                              tags=[str(ref)] if ref else [])
        return written.row.id
