"""The image store: one facade over blobs, layers and the SQLite index.

Layout on disk: see the package docstring (teu/image/__init__.py). Lookups
follow docker: a reference (`busybox`, `busybox:1.36`, `busybox@sha256:..`),
then a full or short image ID. Removal untags, deletes the image when no
name is left, then collects the blobs and layers no other image uses.
"""

from __future__ import annotations

import os
from typing import IO

from teu.image import reference as R
from teu.image.blobs import BlobStore
from teu.image.db import DB, ImageRow
from teu.image.errors import ConflictError, ImageError, ImageNotFound
from teu.image.layers import LayerStore
from teu.image.storelock import StoreLock
from teu.oci import digest as D
from teu.oci.descriptor import Descriptor

DEFAULT_ROOT = "/var/lib/teu"


def default_root() -> str:
    return os.environ.get("TEU_ROOT") or DEFAULT_ROOT


class Store:
    def __init__(self, root: str | None = None, fsync: bool = True) -> None:
        self.root = os.path.abspath(root or default_root())
        self.blobs = BlobStore(self.root, fsync=fsync)
        self.layers = LayerStore(self.root)
        self._db: DB | None = None

    @property
    def db(self) -> DB:
        if self._db is None:
            try:
                self._db = DB(self.root)
            except OSError as e:
                raise ImageError(f"store {self.root}: {e.strerror or e}") from None
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def lock(self, exclusive: bool = False) -> StoreLock:
        """Writers of new content hold it shared; garbage collection holds it exclusive,
        so GC never deletes a blob a concurrent pull has written but not yet registered."""
        return StoreLock(self.root, exclusive)

    # -- lookup ----------------------------------------------------------------

    def lookup(self, text: str) -> ImageRow:
        """The image `text` names (reference, full or short ID), or ImageNotFound."""
        image_id = self.resolve_id(text)
        if image_id is None:
            raise ImageNotFound(f"No such image: {text}")
        row = self.db.image(image_id)
        if row is None:
            raise ImageNotFound(f"No such image: {text}")
        return row

    def resolve_id(self, text: str) -> str | None:
        db = self.db
        ref = None
        try:
            ref = R.parse(text, default_tag=False)
        except R.ReferenceError:
            if not R.looks_like_id(text):
                raise
        if ref is not None:
            if ref.digest:
                found = db.repo_digest(f"{ref.repository}@{ref.digest}")
                if found:
                    return found
                found = db.image_by_manifest(ref.digest)
                if found:
                    return found
            else:
                found = db.tag(str(ref.tagged_or_latest()))
                if found:
                    return found
        if R.looks_like_id(text):
            hexpart = text[7:] if text.startswith("sha256:") else text
            ids = db.ids_with_prefix(hexpart)
            if len(ids) == 1:
                return ids[0]
            if len(ids) > 1:
                raise ImageError(f"{text}: ambiguous image ID prefix ({len(ids)} images match)")
        return None

    def images(self) -> list[ImageRow]:
        if self._db is None and not os.path.exists(os.path.join(self.root, "teu.db")):
            return []  # an empty store is not created just to be listed
        return self.db.images()

    def image(self, text: str) -> StoreImage:
        return StoreImage(self, self.lookup(text))

    def open_blob(self, desc: Descriptor, offset: int = 0) -> tuple[IO[bytes], int]:
        f = self.blobs.open(desc.digest, verify=False)
        if offset:
            f.seek(offset)
        return f, offset

    # -- names -----------------------------------------------------------------

    def tag(self, source: str, target: str) -> ImageRow:
        row = self.lookup(source)
        ref = R.parse(target, default_tag=True)
        if ref.digest:
            raise ImageError(f"refusing to create a tag with a digest reference: {target}")
        with self.db.tx() as c:
            self.db.set_tag(c, str(ref), row.id)
        from teu.image.events import by_id

        by_id(self, "tag", row.id, ref.familiar())
        return row

    # -- removal ---------------------------------------------------------------

    def remove(self, text: str, force: bool = False) -> list[str]:
        """docker rmi: returns the "Untagged: ..." / "Deleted: ..." lines."""
        from teu.image.events import by_id

        image_id, lines = self._remove(text, force)
        for line in lines:  # dockerd's untag and delete events name the image by its ID
            by_id(self, "delete" if line.startswith("Deleted: ") else "untag", image_id)
        if lines and lines[-1].startswith("Deleted: "):
            self.gc()
        return lines

    def _remove(self, text: str, force: bool) -> tuple[str, list[str]]:
        db = self.db
        row = self.lookup(text)
        events: list[str] = []
        by_name = False
        ref = None
        try:
            ref = R.parse(text, default_tag=False)
        except R.ReferenceError:
            pass
        if ref is not None:
            name = (f"{ref.repository}@{ref.digest}" if ref.digest
                    else str(ref.tagged_or_latest()))
            by_name = name in row.tags or name in row.digests
        with db.tx() as c:
            if by_name:
                assert ref is not None
                if ref.digest:
                    c.execute("DELETE FROM repo_digests WHERE name=?", (name,))
                else:
                    c.execute("DELETE FROM tags WHERE name=?", (name,))
                events.append(f"Untagged: {_familiar(name)}")
                if not ref.digest and not any(_repository(t) == ref.repository
                                              for t in row.tags if t != name):
                    # docker: the repository's digest references go with its last tag
                    for d in row.digests:
                        if d.split("@", 1)[0] == ref.repository:
                            c.execute("DELETE FROM repo_digests WHERE name=?", (d,))
                            events.append(f"Untagged: {_familiar(d)}")
                    row.digests = [d for d in row.digests
                                   if d.split("@", 1)[0] != ref.repository]
                left = c.execute("SELECT COUNT(*) FROM tags WHERE image_id=?",
                                 (row.id,)).fetchone()[0]
                if ref.digest:
                    left += c.execute("SELECT COUNT(*) FROM repo_digests WHERE image_id=?",
                                      (row.id,)).fetchone()[0]
                if left:
                    return row.id, events
                if not ref.digest:
                    # Docker drops the digests with the last tag and deletes the image.
                    for d in row.digests:
                        events.append(f"Untagged: {_familiar(d)}")
            else:
                repos = {n.rsplit(":", 1)[0] if "@" not in n else n.split("@")[0]
                         for n in row.tags}
                if len(repos) > 1 and not force:
                    raise ConflictError(
                        f"conflict: unable to delete {row.id[7:19]} (must be forced) - image is "
                        "referenced in multiple repositories")
                for n in row.tags + row.digests:
                    events.append(f"Untagged: {_familiar(n)}")
            users = _containers_using(c, row.id)
            if users and not force:
                raise ConflictError(
                    f"conflict: unable to delete {row.id[7:19]} (must be forced) - image is "
                    f"being used by container {users[0][:12]}")
            db.delete_image(c, row.id)
            events.append(f"Deleted: {row.id}")
        return row.id, events

    def prune(self, all: bool = False, filters: dict[str, list[str]] | None = None,
              keep=None) -> tuple[list[str], int]:  # noqa: ANN001
        """docker image prune: dangling images (all unused ones with `all`) matching the
        label filters (teu.labelfilter), then a full GC. keep(row): True for an image
        the caller's other filters keep (the engine's `until`)."""
        from teu.image.events import _labels, by_id
        from teu.labelfilter import matches

        db = self.db
        events: list[str] = []
        for row in db.images():
            if row.tags and not all:
                continue
            if filters and not matches(_labels(self, row.id), filters):
                continue
            if keep is not None and keep(row):
                continue
            with db.tx() as c:
                if _containers_using(c, row.id):
                    continue
                for n in row.tags + row.digests:
                    events.append(f"untagged: {_familiar(n)}")
                    by_id(self, "untag", row.id)
                by_id(self, "delete", row.id)
                db.delete_image(c, row.id)
            events.append(f"deleted: {row.id}")
        reclaimed = self.gc(full=True)
        from teu import journal

        journal.append(self.root, "image", "prune", "", {"reclaimed": str(reclaimed)})  # dockerd's
        return events, reclaimed

    def gc(self, full: bool = False) -> int:
        """Delete blobs and layers no image references; returns the bytes freed.

        `full` also sweeps leftovers of killed commands (partial downloads, half
        unpacked layers); they are otherwise kept, since a rerun resumes them."""
        from teu.image.gc import collect

        with self.lock(exclusive=True):
            return collect(self, full)

    # -- adding ----------------------------------------------------------------

    def register(self, row: ImageRow, layers: list, blobs: list[str],
                 tags: list[str], repo_digests: list[str],
                 sources: list[tuple[str, str]] = ()) -> list[str]:  # type: ignore[assignment]
        """Record a whole image in one transaction; returns image IDs that lost a tag."""
        db = self.db
        replaced = []
        with db.tx() as c:
            db.put_image(c, row, layers, blobs)
            for name in tags:
                old = db.set_tag(c, name, row.id)
                if old:
                    replaced.append(old)
            for name in repo_digests:
                db.set_repo_digest(c, name, row.id)
            for digest, source in sources:
                db.add_blob_source(c, digest, source)
        return replaced


def _repository(name: str) -> str:
    """The repository of a stored tag name (`host/repo:tag`; a port's colon is no tag)."""
    repo, colon, tag = name.rpartition(":")
    return repo if colon and "/" not in tag else name


def _familiar(name: str) -> str:
    try:
        return R.parse(name, default_tag=False).familiar()
    except R.ReferenceError:
        return name


def _containers_using(c, image_id: str) -> list[str]:
    """IDs of containers made from the image, once the engine keeps a containers table."""
    cols = [r[1] for r in c.execute("PRAGMA table_info(containers)")]
    if "image_id" not in cols or "id" not in cols:
        return []
    return [r[0] for r in c.execute("SELECT id FROM containers WHERE image_id=?", (image_id,))]


class StoreImage:
    """An image in the store, through the Image interface (teu.image.types)."""

    def __init__(self, store: Store, row: ImageRow) -> None:
        from teu.image.types import SourceImage

        self.store = store
        self.row = row
        raw = store.blobs.read(row.manifest)
        self._img = SourceImage(raw, store.open_blob, row.media_type,
                                name=(row.tags[0] if row.tags else row.id))

    @property
    def id(self) -> str:
        return self.row.id

    def __getattr__(self, name: str):
        return getattr(self._img, name)

    def layer_dirs(self) -> list[str]:
        """The unpacked layer directories, bottom first (overlayfs lowerdir wants them
        reversed)."""
        return [self.store.layers.path(lr.chain_id) for lr in self.store.db.layers_of(self.id)]

    def config_digest(self) -> D.Digest:
        return D.Digest(self.row.id)
