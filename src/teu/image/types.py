"""The small interfaces every place an image lives offers (go-containerregistry's v1).

A place (the store, an OCI layout, a docker/oci archive, a registry) only has
to say how to read a blob from an offset; `SourceImage` builds the rest:
manifest and config parsed and verified, layers with their diff IDs.

    Image       raw_manifest, manifest, digest, raw_config, config_file, layers, open_blob
    Layer       descriptor, diff_id, open (compressed bytes from an offset)
    ImageIndex  raw_index, index, digest, image(descriptor)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Protocol

from teu.image.errors import ImageError
from teu.oci import digest as D
from teu.oci.descriptor import Descriptor
from teu.oci.image_config import ImageConfig
from teu.oci.index import Index
from teu.oci.manifest import Manifest

# (descriptor, offset) -> (stream of the blob's bytes from `start`, start). A source
# that cannot seek returns start 0 whatever offset was asked for.
BlobOpener = Callable[[Descriptor, int], "tuple[IO[bytes], int]"]


class Layer(Protocol):
    @property
    def descriptor(self) -> Descriptor: ...

    @property
    def diff_id(self) -> D.Digest: ...

    def open(self, offset: int = 0) -> tuple[IO[bytes], int]: ...


class Image(Protocol):
    def raw_manifest(self) -> bytes: ...

    def manifest(self) -> Manifest: ...

    def digest(self) -> D.Digest: ...

    def raw_config(self) -> bytes: ...

    def config_file(self) -> ImageConfig: ...

    def layers(self) -> list[Layer]: ...

    def open_blob(self, desc: Descriptor, offset: int = 0) -> tuple[IO[bytes], int]: ...


class ImageIndex(Protocol):
    def raw_index(self) -> bytes: ...

    def index(self) -> Index: ...

    def digest(self) -> D.Digest: ...

    def image(self, desc: Descriptor) -> Image: ...


@dataclass
class SourceLayer:
    descriptor: Descriptor
    diff_id: D.Digest
    opener: BlobOpener

    def open(self, offset: int = 0) -> tuple[IO[bytes], int]:
        return self.opener(self.descriptor, offset)


def read_all(opener: BlobOpener, desc: Descriptor, what: str) -> bytes:
    """A small blob's bytes, checked against its descriptor's digest and size."""
    stream, _ = opener(desc, 0)
    try:
        data = stream.read(desc.size + 1) if desc.size else stream.read()
    finally:
        stream.close()
    if len(data) != desc.size:
        raise ImageError(f"{what} {desc.digest}: size {len(data)} differs from the "
                         f"descriptor's {desc.size}")
    actual = D.compute(data)
    if actual != desc.digest:
        from teu.oci.errors import DigestMismatchError

        raise DigestMismatchError(desc.digest, actual, f"{what} {desc.digest}")
    return data


class SourceImage:
    """An Image from a manifest's bytes and a way to open blobs."""

    def __init__(self, raw_manifest: bytes, opener: BlobOpener,
                 media_type: str | None = None, name: str = "image") -> None:
        from teu.oci.validate import validate_manifest

        self._raw = raw_manifest
        self._opener = opener
        self.name = name
        m = validate_manifest(raw_manifest, media_type)
        if not isinstance(m, Manifest):
            raise ImageError(f"{name}: is an index, not an image manifest")
        self._manifest = m
        self._config_raw: bytes | None = None
        self._config: ImageConfig | None = None

    def raw_manifest(self) -> bytes:
        return self._raw

    def manifest(self) -> Manifest:
        return self._manifest

    def media_type(self) -> str:
        from teu.oci import media_types as MT

        return self._manifest.media_type or MT.OCI_MANIFEST

    def digest(self) -> D.Digest:
        return D.compute(self._raw)

    def raw_config(self) -> bytes:
        if self._config_raw is None:
            self._config_raw = read_all(self._opener, self._manifest.config,
                                        f"{self.name}: config")
        return self._config_raw

    def prime_config(self, raw: bytes) -> None:
        """Use config bytes the caller already has (verified against the manifest)."""
        if D.compute(raw) == self._manifest.config.digest:
            self._config_raw = raw

    def config_file(self) -> ImageConfig:
        if self._config is None:
            self._config = ImageConfig.from_json(self.raw_config())
        return self._config

    def layers(self) -> list[Layer]:
        diff_ids = self.config_file().diff_ids
        descs = self._manifest.layers
        if len(diff_ids) != len(descs):
            raise ImageError(f"{self.name}: manifest has {len(descs)} layers but the config "
                             f"lists {len(diff_ids)} diff IDs")
        return [SourceLayer(d, diff_ids[i], self._opener) for i, d in enumerate(descs)]

    def open_blob(self, desc: Descriptor, offset: int = 0) -> tuple[IO[bytes], int]:
        return self._opener(desc, offset)


class SourceIndex:
    def __init__(self, raw_index: bytes, opener: BlobOpener, media_type: str | None = None,
                 name: str = "index") -> None:
        from teu.oci.validate import validate_manifest

        self._raw = raw_index
        self._opener = opener
        self.name = name
        i = validate_manifest(raw_index, media_type)
        if not isinstance(i, Index):
            raise ImageError(f"{name}: is an image manifest, not an index")
        self._index = i

    def raw_index(self) -> bytes:
        return self._raw

    def index(self) -> Index:
        return self._index

    def digest(self) -> D.Digest:
        return D.compute(self._raw)

    def image(self, desc: Descriptor) -> SourceImage:
        raw = read_all(self._opener, desc, f"{self.name}: manifest")
        return SourceImage(raw, self._opener, desc.media_type, self.name)


def chain_ids(diff_ids: list[D.Digest]) -> list[D.Digest]:
    """ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))."""
    out: list[D.Digest] = []
    for diff_id in diff_ids:
        out.append(diff_id if not out else D.compute(f"{out[-1]} {diff_id}".encode()))
    return out
