"""The signature image: how cosign stores signatures and attestations.

An OCI image manifest whose config is go-containerregistry's empty image config
(only rootfs.diff_ids filled) and whose layers are the signed documents:

    layer mediaType  application/vnd.dev.cosign.simplesigning.v1+json   (a signature)
                     application/vnd.dsse.envelope.v1+json              (an attestation)
    annotations      dev.cosignproject.cosign/signature: base64 ECDSA signature
                     ("" for DSSE: the envelope carries it), predicateType for DSSE

A new signature adds a layer (an identical one is not added twice). In OCI 1.1
referrers mode the manifest also has a subject (the signed image) and its
config's mediaType is the artifact type, as cosign 2.5 writes it.
"""

from __future__ import annotations

from collections.abc import Callable

from teu import fastjson
from teu.oci import digest as D
from teu.slotted import Slotted
from teu.trust.errors import TrustError

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
PREDICATE_ANNOTATION = "predicateType"
SIG_ARTIFACT = "application/vnd.dev.cosign.artifact.sig.v1+json"
ATT_ARTIFACT = "application/vnd.dev.cosign.artifact.att.v1+json"
ZERO_TIME = "0001-01-01T00:00:00Z"
MAX_LAYER = 4 << 20


class Layer(Slotted):
    """One signature layer (plain classes here: no dataclasses import on the verify path)."""

    __slots__ = ("media_type", "data", "annotations")

    def __init__(self, media_type: str, data: bytes,
                 annotations: dict[str, str] | None = None) -> None:
        self.media_type = media_type
        self.data = data
        self.annotations = {} if annotations is None else annotations

    @property
    def digest(self) -> str:
        return str(D.compute(self.data))

    @property
    def signature(self) -> str:
        return self.annotations.get(SIGNATURE_ANNOTATION, "")


class Built(Slotted):
    """A signature image ready to store: manifest bytes, and every blob it names."""

    __slots__ = ("manifest", "config", "layers")

    def __init__(self, manifest: bytes, config: bytes, layers: list[Layer]) -> None:
        self.manifest = manifest
        self.config = config
        self.layers = layers

    @property
    def digest(self) -> str:
        return str(D.compute(self.manifest))

    def blobs(self) -> dict[str, bytes]:
        out = {str(D.compute(self.config)): self.config}
        for layer in self.layers:
            out[layer.digest] = layer.data
        return out


class SignatureImage(Slotted):
    """The layers of one signature (or attestation) image, in order."""

    __slots__ = ("layers",)

    def __init__(self, layers: list[Layer] | None = None) -> None:
        self.layers = [] if layers is None else layers

    def add(self, layer: Layer) -> bool:
        """Add a layer unless the same document with the same signature is there."""
        for old in self.layers:
            if old.digest == layer.digest and old.annotations == layer.annotations:
                return False
        self.layers.append(layer)
        return True

    def build(self, subject: dict | None = None, artifact_type: str | None = None) -> Built:
        """The manifest and config (key order as go-containerregistry marshals them)."""
        history = [{"created": ZERO_TIME} for _ in self.layers]
        config = {"architecture": "", "created": ZERO_TIME, "history": history, "os": "",
                  "rootfs": {"type": "layers", "diff_ids": [x.digest for x in self.layers]},
                  "config": {}}
        config_raw = fastjson.dumps(config).encode()
        layers = []
        for x in self.layers:
            d: dict = {"mediaType": x.media_type, "size": len(x.data), "digest": x.digest}
            if x.annotations:
                d["annotations"] = x.annotations
            layers.append(d)
        manifest: dict = {
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": artifact_type or OCI_CONFIG, "size": len(config_raw),
                       "digest": str(D.compute(config_raw))},
            "layers": layers}
        if subject is not None:
            manifest["subject"] = subject
        raw = fastjson.dumps(manifest).encode()
        return Built(raw, config_raw, list(self.layers))


def parse_manifest(raw: bytes, where: str) -> list[dict]:
    """The layer descriptors of a signature manifest; TrustError if it is not one."""
    try:
        doc = fastjson.loads(raw)
        layers = doc["layers"]
        if not isinstance(layers, list):
            raise TypeError
        for d in layers:
            D.parse(d["digest"], registered_only=True)
            int(d["size"])
    except (ValueError, KeyError, TypeError):
        raise TrustError(f"{where}: not a signature manifest") from None
    return layers


def load(raw: bytes, read_blob: Callable[[str, int], bytes], where: str) -> SignatureImage:
    """A signature image from its manifest; `read_blob(digest, size)` returns verified
    bytes or raises. A layer that cannot be read is an error naming it: a signature
    manifest pointing at a missing layer is refused, never skipped silently."""
    img = SignatureImage()
    for d in parse_manifest(raw, where):
        size = int(d["size"])
        if size > MAX_LAYER:
            raise TrustError(f"{where}: layer {d['digest']} is {size} bytes, too large")
        try:
            data = read_blob(d["digest"], size)
        except TrustError:
            raise
        except Exception as e:  # noqa: BLE001 - any failure to read is the same refusal
            raise TrustError(f"{where}: signature layer {d['digest']} cannot be read: "
                             f"{e}") from None
        if str(D.compute(data)) != d["digest"]:
            raise TrustError(f"{where}: signature layer {d['digest']} does not match its "
                             "digest (tampered?)")
        ann = d.get("annotations") or {}
        img.layers.append(Layer(str(d.get("mediaType") or ""), data,
                                {str(k): str(v) for k, v in ann.items()}))
    return img
