"""Image archives: what `save` writes and `load` reads.

Written (docker 25's form): one tar holding an OCI image layout (oci-layout,
index.json, blobs/sha256/...) plus docker's manifest.json pointing into the
same blobs, so docker, podman, skopeo (docker-archive: and oci-archive:),
umoci and oci-image-tool all read it. Blobs are the store's own (compressed
layers, the manifest as pulled), so the image keeps its digest.

Read: that combined form, a plain oci-archive (index.json only: nested
indexes are resolved to this host's platform) or a classic docker-archive
(manifest.json with layer.tar files: a manifest is made for it, the layers
kept as they are). Compressed archives (gzip, zstd) are decompressed into a
temporary file first, since reading members needs to seek.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass
from typing import IO

from teu.image import reference as R
from teu.image.errors import ImageError
from teu.image.layout import CONTAINERD_NAME, LAYOUT_VERSION, REF_NAME
from teu.image.store import Store, StoreImage
from teu.image.types import SourceImage, read_all
from teu.oci import digest as D
from teu.oci import media_types as MT
from teu.oci.descriptor import Descriptor

# index.json entries `cosign save` (and teu save) add for an image's signatures.
COSIGN_ATTACHMENTS = ("dev.cosignproject.cosign/sigs", "dev.cosignproject.cosign/atts")

# -- save ---------------------------------------------------------------------


def save(store: Store, names: list[str], out: IO[bytes], attach=None) -> list[str]:  # noqa: ANN001
    """Write the images `names` (references or IDs) to `out` as one archive.

    `attach(image)` (optional; teu.trust.transfer.save_attachments) returns, per image,
    annotations for its index entry, more index entries and their blobs: signatures."""
    images: list[tuple[str, StoreImage]] = []
    extra_blobs: dict[str, bytes] = {}
    for name in names:
        images.append((name, store.image(name)))
    index_entries: list[dict] = []
    docker_entries: list[dict] = []
    blobs: dict[str, int] = {}
    for name, img in images:
        m = img.manifest()
        desc = {"mediaType": m.media_type or MT.OCI_MANIFEST, "digest": img.row.manifest,
                "size": len(img.raw_manifest())}
        tags: list[str] = []
        ref = _name_of(name, img)
        if ref is not None:
            desc["annotations"] = {CONTAINERD_NAME: str(ref), REF_NAME: ref.tag or "latest"}
            tags.append(ref.familiar())
        index_entries.append(desc)
        if attach is not None:
            ann, entries, more = attach(img)
            if ann:
                desc["annotations"] = {**desc.get("annotations", {}), **ann}
            index_entries += [e for e in entries if e not in index_entries]
            extra_blobs.update(more)
        entry = next((e for e in docker_entries if e["Config"].endswith(img.id[7:])), None)
        if entry is None:
            docker_entries.append({"Config": f"blobs/sha256/{img.id[7:]}", "RepoTags": tags,
                                   "Layers": [f"blobs/sha256/{d.digest.encoded}"
                                              for d in m.layers]})
        else:
            entry["RepoTags"] += [t for t in tags if t not in entry["RepoTags"]]
        blobs[img.row.manifest] = len(img.raw_manifest())
        blobs[img.id] = m.config.size
        for d in m.layers:
            blobs[d.digest] = d.size
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        _dir(tar, "blobs/")
        _dir(tar, "blobs/sha256/")
        for digest, size in blobs.items():
            ti = _info(f"blobs/sha256/{D.Digest(digest).encoded}", size)
            with store.blobs.open(digest, verify=True) as f:
                tar.addfile(ti, f)  # type: ignore[arg-type]
        for digest, data in extra_blobs.items():
            if digest not in blobs:
                _bytes(tar, f"blobs/sha256/{D.Digest(digest).encoded}", data)
        index = {"schemaVersion": 2, "mediaType": MT.OCI_INDEX, "manifests": index_entries}
        _bytes(tar, "index.json", json.dumps(index, separators=(",", ":")).encode())
        _bytes(tar, "manifest.json", json.dumps(docker_entries, separators=(",", ":")).encode())
        _bytes(tar, "oci-layout", LAYOUT_VERSION)
    from teu.image.events import by_id

    for _, img in images:
        by_id(store, "save", img.id)
    return [t for e in docker_entries for t in e["RepoTags"]]


def _name_of(text: str, img: StoreImage) -> R.Reference | None:
    """The name the user gave, if it is one of the image's tags; None for an ID."""
    try:
        ref = R.parse(text)
    except R.ReferenceError:
        return None
    return ref if str(ref) in img.row.tags else None


def _info(name: str, size: int, mode: int = 0o644) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.size = size
    ti.mode = mode
    ti.mtime = 0
    return ti


def _dir(tar: tarfile.TarFile, name: str) -> None:
    ti = _info(name, 0, 0o755)
    ti.type = tarfile.DIRTYPE
    tar.addfile(ti)


def _bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    tar.addfile(_info(name, len(data)), io.BytesIO(data))


# -- load ---------------------------------------------------------------------


class _Member:
    """A bounded reader of one archive member, with its own file handle."""

    def __init__(self, path: str, offset: int, size: int) -> None:
        self._f = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._f.seek(offset)
        self._left = size

    def read(self, n: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        if n is None or n < 0 or n > self._left:
            n = self._left
        data = self._f.read(n)
        if not data:
            raise ImageError("archive is truncated")
        self._left -= len(data)
        return data

    def skip(self, n: int) -> None:
        n = min(n, self._left)
        self._f.seek(n, os.SEEK_CUR)
        self._left -= n

    def close(self) -> None:
        self._f.close()


class Archive:
    """An image archive on disk, indexed by member name."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.members: dict[str, tarfile.TarInfo] = {}
        try:
            with tarfile.open(path, mode="r:") as tar:
                for ti in tar:
                    name = os.path.normpath(ti.name).lstrip("/")
                    if ti.isreg():
                        self.members[name] = ti
                    elif ti.issym() or ti.islnk():
                        self.members[name] = ti
        except tarfile.TarError as e:
            raise ImageError(f"{path}: not a tar archive: {e}") from None

    def _resolve(self, name: str) -> tarfile.TarInfo:
        name = os.path.normpath(name).lstrip("/")
        for _ in range(10):
            ti = self.members.get(name)
            if ti is None:
                raise ImageError(f"{self.path}: {name} is missing from the archive")
            if ti.isreg():
                return ti
            base = os.path.dirname(name) if ti.issym() else ""
            name = os.path.normpath(os.path.join(base, ti.linkname)).lstrip("/")
        raise ImageError(f"{self.path}: {name}: too many links")

    def open(self, name: str) -> _Member:
        ti = self._resolve(name)
        return _Member(self.path, ti.offset_data, ti.size)

    def read(self, name: str, limit: int = 64 << 20) -> bytes:
        ti = self._resolve(name)
        if ti.size > limit:
            raise ImageError(f"{self.path}: {name} is too large ({ti.size} bytes)")
        f = self.open(name)
        try:
            return f.read()
        finally:
            f.close()

    def has(self, name: str) -> bool:
        return os.path.normpath(name).lstrip("/") in self.members

    def blob_opener(self):
        def open_blob(desc: Descriptor, offset: int = 0):
            dg = D.parse(desc.digest, registered_only=True)
            f = self.open(f"blobs/{dg.algorithm}/{dg.encoded}")
            f.skip(offset)
            return f, offset
        return open_blob


@dataclass
class Loaded:
    image_id: str
    names: list[str]


def load(store: Store, path: str, progress=None, platform=None,
         attach=None) -> list[Loaded]:  # noqa: ANN001
    """Load every image of the archive at `path` ("-" is not handled here: see load_stream).

    `attach(kind, raw_manifest, read_blob)` (optional; teu.trust.transfer) is called, once
    the images are stored, for each signature entry (cosign's kind annotation)."""
    from teu.image.compression import detect

    with open(path, "rb") as f:
        head = f.read(4)
    if detect(head):
        with tempfile.NamedTemporaryFile(dir=_tmpdir(store), prefix="load-") as tmp:
            from teu.image.compression import decompressed

            with open(path, "rb") as raw:
                src = decompressed(raw)
                while block := src.read(1 << 20):
                    tmp.write(block)
            tmp.flush()
            return _load(store, Archive(tmp.name), progress, platform, attach)
    return _load(store, Archive(path), progress, platform, attach)


def load_stream(store: Store, stream: IO[bytes], progress=None, platform=None,
                attach=None) -> list[Loaded]:  # noqa: ANN001
    with tempfile.NamedTemporaryFile(dir=_tmpdir(store), prefix="load-") as tmp:
        while block := stream.read(1 << 20):
            tmp.write(block)
        tmp.flush()
        return load(store, tmp.name, progress, platform, attach)


def _tmpdir(store: Store) -> str:
    d = os.path.join(store.root, "ingest")
    os.makedirs(d, exist_ok=True)
    return d


def _load(store: Store, ar: Archive, progress, platform, attach=None) -> list[Loaded]:  # noqa: ANN001
    from teu.image.events import by_id

    out = _load_archive(store, ar, progress, platform, attach)
    for loaded in out:
        by_id(store, "load", loaded.image_id)
    return out


def _load_archive(store: Store, ar: Archive, progress, platform, attach=None) -> list[Loaded]:  # noqa: ANN001
    from teu.image.writer import write_image

    out: list[Loaded] = []
    attachments: list[tuple[str, bytes]] = []
    if ar.has("index.json"):
        index = json.loads(ar.read("index.json"))
        opener = ar.blob_opener()
        for entry in index.get("manifests") or []:
            desc = Descriptor.from_dict(entry, "index.json manifests[]")
            ann = desc.annotations or {}
            if ann.get("kind") in COSIGN_ATTACHMENTS:
                # Signatures beside an image (teu save, cosign save): not an image.
                if attach is not None:
                    attachments.append((ann["kind"], read_all(opener, desc,
                                                              f"{ar.path}: signatures")))
                continue
            names = _names(ann)
            raw = read_all(opener, desc, f"{ar.path}: manifest")
            extra = []
            if desc.media_type in MT.INDEXES:
                from teu.image.types import SourceIndex

                idx = SourceIndex(raw, opener, desc.media_type, name=ar.path)
                image = idx.image(idx.index().select(platform))
                extra = [raw]
            else:
                image = SourceImage(raw, opener, desc.media_type, name=ar.path)
            r = write_image(store, image, name=names[0] if names else ar.path, tags=names,
                            extra_blobs=extra, progress=progress, fetch_verb="Load",
                            done_verb="Load")
            out.append(Loaded(r.row.id, names))
        if attach is not None:
            def read_blob(digest: str, size: int) -> bytes:
                return read_all(opener, Descriptor("", D.Digest(digest), size),
                                f"{ar.path}: signature blob")

            for kind, raw in attachments:
                attach(kind, raw, read_blob)
        return out
    if not ar.has("manifest.json"):
        raise ImageError(f"{ar.path}: neither an OCI archive (index.json) nor a docker "
                         "archive (manifest.json)")
    entries = json.loads(ar.read("manifest.json"))
    if not isinstance(entries, list):
        raise ImageError(f"{ar.path}: manifest.json is not a list")
    for entry in entries:
        image, names = _docker_entry(store, ar, entry)
        r = write_image(store, image, name=names[0] if names else ar.path, tags=names,
                        progress=progress, fetch_verb="Load", done_verb="Load")
        out.append(Loaded(r.row.id, names))
    return out


def _names(ann: dict[str, str]) -> list[str]:
    for key in (CONTAINERD_NAME, REF_NAME):
        value = ann.get(key)
        if not value:
            continue
        try:
            ref = R.parse(value)
        except R.ReferenceError:
            continue
        # A bare tag ("latest") as ref.name names no repository: the image stays untagged.
        if key == REF_NAME and "/" not in value and ":" not in value and "@" not in value:
            continue
        return [str(ref)]
    return []


def _docker_entry(store: Store, ar: Archive, entry: dict) -> tuple[SourceImage, list[str]]:
    """A classic docker-archive entry: make an OCI manifest over its files."""
    try:
        config_name = entry["Config"]
        layer_names = list(entry.get("Layers") or [])
        tags = list(entry.get("RepoTags") or [])
    except (KeyError, TypeError):
        raise ImageError(f"{ar.path}: manifest.json entry lacks Config/Layers") from None
    raw_config = ar.read(config_name)
    config_desc = Descriptor(MT.OCI_CONFIG, D.compute(raw_config), len(raw_config))
    files: dict[str, str] = {config_desc.digest: config_name}
    layers = []
    from teu.image.compression import detect

    for name in layer_names:
        f = ar.open(name)
        try:
            head = f.read(4)
            h = D.Hasher()
            h.update(head)
            size = len(head)
            while block := f.read(1 << 20):
                h.update(block)
                size += len(block)
        finally:
            f.close()
        kind = detect(head)
        mt = {"gzip": MT.OCI_LAYER_GZIP, "zstd": MT.OCI_LAYER_ZSTD}.get(kind or "", MT.OCI_LAYER)
        dg = h.digest()
        files[dg] = name
        layers.append({"mediaType": mt, "digest": dg, "size": size})
    manifest = json.dumps({"schemaVersion": 2, "mediaType": MT.OCI_MANIFEST,
                           "config": config_desc.to_dict(), "layers": layers},
                          separators=(",", ":")).encode()

    def open_blob(desc: Descriptor, offset: int = 0):
        name = files.get(desc.digest)
        if name is None:
            raise ImageError(f"{ar.path}: no file for {desc.digest}")
        f = ar.open(name)
        f.skip(offset)
        return f, offset

    names = []
    for t in tags:
        try:
            names.append(str(R.parse(t)))
        except R.ReferenceError:
            raise ImageError(f"{ar.path}: bad RepoTags entry {t!r}") from None
    return SourceImage(manifest, open_blob, MT.OCI_MANIFEST, name=names[0] if names else ar.path), names
