import json

import pytest

from teu.oci import digest as D
from teu.oci import media_types as MT
from teu.oci.errors import ImageSpecError
from teu.oci.index import Index
from teu.oci.manifest import Manifest
from teu.oci.validate import detect_media_type, validate_manifest

CFG = {"mediaType": MT.DOCKER_CONFIG, "digest": D.compute(b"cfg"), "size": 3}


def doc(**kw) -> bytes:
    return json.dumps({"schemaVersion": 2, **kw}).encode()


def test_oci_manifest_without_media_type_field():
    m = validate_manifest(doc(config={**CFG, "mediaType": MT.OCI_CONFIG}, layers=[]), MT.OCI_MANIFEST)
    assert isinstance(m, Manifest)


def test_docker_manifest_and_list():
    m = validate_manifest(doc(mediaType=MT.DOCKER_MANIFEST, config=CFG, layers=[]), MT.DOCKER_MANIFEST)
    assert isinstance(m, Manifest)
    i = validate_manifest(doc(mediaType=MT.DOCKER_MANIFEST_LIST, manifests=[]), None)
    assert isinstance(i, Index)


def test_content_type_mismatch():
    with pytest.raises(ImageSpecError, match="differs"):
        validate_manifest(doc(mediaType=MT.OCI_MANIFEST, config=CFG, layers=[]), MT.DOCKER_MANIFEST)


@pytest.mark.parametrize("data,mt,msg", [
    (b"{nope", MT.OCI_MANIFEST, "invalid JSON"),
    (b"[]", MT.OCI_MANIFEST, "object"),
    (doc(config=CFG, layers=[]), "application/x-unknown", "unsupported media type"),
    (json.dumps({"schemaVersion": 1, "fsLayers": []}).encode(), None, "schema 1"),
    (doc(config={**CFG, "mediaType": MT.OCI_EMPTY}, layers=[]), MT.OCI_MANIFEST, "artifactType"),
    (b" " * 20 + doc(config=CFG, layers=[]), MT.OCI_MANIFEST, None),
])
def test_refusals(data, mt, msg):
    if msg is None:
        validate_manifest(data, mt)
        return
    with pytest.raises(ImageSpecError, match=msg):
        validate_manifest(data, mt)


def test_oversize():
    with pytest.raises(ImageSpecError, match="exceeds"):
        validate_manifest(b" " * 100, MT.OCI_MANIFEST, max_size=10)


def test_detect():
    assert detect_media_type(doc(manifests=[])) == MT.OCI_INDEX
    assert detect_media_type(doc(config=CFG)) == MT.OCI_MANIFEST
    assert detect_media_type(b"x") is None
