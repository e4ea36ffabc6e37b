"""The image a container is made from, read from the store's tables (teu.image.db).

`teu run` resolves its image on every start, so the common case (a tag such as
`busybox` or `localhost/app:1`) is one query on the `tags` table through a
normaliser written without `re`; anything else (IDs, digests, odd names) goes
to teu.image.store.Store.lookup, which parses references exactly as docker does.
The image config blob is read with teu.fastjson, not teu.oci.image_config
(its dataclasses and typing cost ~30 ms of imports).
"""

from __future__ import annotations

import os

from teu import errors, fastjson
from teu.engine.errors import EngineError
from teu.engine.paths import Paths


class ImageNotFound(EngineError, errors.ImageNotFound):
    """No image in the store matches the name the container asks for."""


class Image:
    """What the engine needs of an image: ID, the name it was asked by, config, layers."""

    def __init__(self, image_id: str, name: str, config: dict, layers: list[str]) -> None:
        self.id = image_id
        self.name = name
        self.config = config  # the whole image config JSON (architecture, config, rootfs...)
        self.layers = layers  # unpacked layer directories, bottom first

    @property
    def run_config(self) -> dict:
        """The image config's `config` member (Env, Cmd, Entrypoint, User, ...)."""
        return self.config.get("config") or {}


def normalize(text: str) -> str | None:
    """`busybox` -> `docker.io/library/busybox:latest`; None when not a plain tag."""
    if "@" in text or not text or text != text.strip():
        return None
    slash = text.rfind("/")
    colon = text.rfind(":")
    name, tag = (text[:colon], text[colon + 1:]) if colon > slash else (text, "latest")
    if not name or not tag:
        return None
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        domain, path = first, rest
    else:
        domain, path = "docker.io", name
    if domain == "index.docker.io":
        domain = "docker.io"
    if domain == "docker.io" and "/" not in path:
        path = "library/" + path
    if path.lower() != path:
        return None
    return f"{domain}/{path}:{tag}"


def resolve(paths: Paths, text: str, conn=None) -> Image:  # noqa: ANN001
    """The image `text` names, or ImageNotFound (`No such image: text`)."""
    image_id = None
    if conn is not None:
        image_id = _by_tag(conn, text)
    if image_id is None:
        image_id = _slow_lookup(paths, text)
    return load(paths, image_id, text, conn)


def load(paths: Paths, image_id: str, name: str, conn=None) -> Image:  # noqa: ANN001
    try:
        with open(paths.blob(image_id), "rb") as f:
            config = fastjson.loads(f.read())
    except (OSError, ValueError) as e:
        raise ImageNotFound(f"image {name} ({image_id}): config unreadable: {e}") from None
    chain_ids = _chain_ids(paths, conn, image_id)
    layers = [paths.layer(c) for c in chain_ids]
    for d in layers:
        if not os.path.isdir(d):
            raise ImageNotFound(f"image {name}: layer {os.path.basename(d)[:12]} is not "
                                f"unpacked in the store (pull the image again)")
    return Image(image_id, name, config, layers)


def _by_tag(conn, text: str) -> str | None:  # noqa: ANN001
    full = normalize(text)
    if full is None:
        return None
    try:
        r = conn.execute("SELECT image_id FROM tags WHERE name=?", (full,)).fetchone()
    except Exception:  # noqa: BLE001 - the store's tables do not exist yet
        return None
    return r[0] if r else None


def _chain_ids(paths: Paths, conn, image_id: str) -> list[str]:  # noqa: ANN001
    if conn is None:
        import _sqlite3

        conn = _sqlite3.connect(paths.db, timeout=60)
    return [c for (c,) in conn.execute(
        "SELECT chain_id FROM image_layers WHERE image_id=? ORDER BY idx", (image_id,))]


def _slow_lookup(paths: Paths, text: str) -> str:
    from teu.errors import TeuError
    from teu.image.store import Store

    store = Store(paths.root)
    try:
        return store.lookup(text).id
    except TeuError as e:
        raise ImageNotFound(str(e)) from None
    finally:
        store.close()
