import json

import pytest

from teu.oci import digest as D
from teu.oci import media_types as MT
from teu.oci.descriptor import Descriptor, empty
from teu.oci.errors import ImageSpecError
from teu.oci.image_config import ImageConfig
from teu.oci.index import Index
from teu.oci.manifest import Manifest
from teu.oci.platform import Platform, host

CFG = {"mediaType": MT.OCI_CONFIG, "digest": D.compute(b"cfg"), "size": 3}
LAYER = {"mediaType": MT.OCI_LAYER_GZIP, "digest": D.compute(b"layer"), "size": 5}


def manifest_bytes(**extra) -> bytes:
    d = {"schemaVersion": 2, "mediaType": MT.OCI_MANIFEST, "config": CFG, "layers": [LAYER]}
    d.update(extra)
    return json.dumps(d, indent=3).encode()


def test_descriptor_round_trip_and_extra():
    d = Descriptor.from_dict({**LAYER, "urls": ["https://x"], "annotations": {"a": "b"},
                              "x-unknown": 1})
    assert d.to_dict()["x-unknown"] == 1
    assert Descriptor.from_dict(d.to_dict()) == d


@pytest.mark.parametrize("patch,field", [
    ({"size": -1}, "size"), ({"size": "1"}, "size"), ({"digest": "x"}, "digest"),
    ({"mediaType": "nope"}, "mediaType"), ({"annotations": {"a": 1}}, "annotations"),
    ({"data": "!!"}, "data"), ({"data": "YWJj"}, "data"),
])
def test_descriptor_errors_name_field(patch, field):
    with pytest.raises(ImageSpecError, match=field):
        Descriptor.from_dict({**LAYER, **patch})


def test_descriptor_embedded_data():
    e = empty(embed=True)
    assert Descriptor.from_dict(e.to_dict()).data == b"{}"
    assert D.compute(b"{}") == MT.OCI_EMPTY_DIGEST


def test_manifest_keeps_exact_bytes():
    raw = manifest_bytes(annotations={"z": "1", "a": "2"})
    m = Manifest.from_json(raw)
    assert m.to_json() == raw
    assert m.digest == D.compute(raw)
    assert m.references()[0].digest == CFG["digest"]


def test_manifest_new_serialises_compactly():
    m = Manifest(config=Descriptor.from_dict(CFG), layers=[])
    again = Manifest.from_json(m.to_json())
    assert again.config == m.config and again.media_type == MT.OCI_MANIFEST


def test_manifest_subject_and_artifact_type():
    subj = {"mediaType": MT.OCI_MANIFEST, "digest": D.compute(b"s"), "size": 1}
    m = Manifest.from_json(manifest_bytes(subject=subj, artifactType="application/x.sig"))
    assert m.subject is not None and m.subject.digest == subj["digest"]
    assert m.effective_artifact_type() == "application/x.sig"


@pytest.mark.parametrize("patch,msg", [
    ({"schemaVersion": 1}, "schemaVersion"), ({"layers": None}, "layers"),
    ({"config": {"digest": "x"}}, "config"), ({"mediaType": MT.OCI_INDEX}, "mediaType"),
])
def test_manifest_errors(patch, msg):
    d = json.loads(manifest_bytes())
    d.update(patch)
    d = {k: v for k, v in d.items() if v is not None}
    with pytest.raises(ImageSpecError, match=msg):
        Manifest.from_json(json.dumps(d).encode())


def test_docker_manifest_needs_media_type():
    d = json.loads(manifest_bytes())
    del d["mediaType"]
    with pytest.raises(ImageSpecError, match="mediaType"):
        Manifest.from_dict(d, MT.DOCKER_MANIFEST)


def test_index_select_platform():
    def entry(arch, variant=None):
        p = {"os": "linux", "architecture": arch}
        if variant:
            p["variant"] = variant
        return {"mediaType": MT.OCI_MANIFEST, "digest": D.compute(arch.encode() + (variant or "").encode()),
                "size": 1, "platform": p}
    raw = json.dumps({"schemaVersion": 2, "manifests": [
        entry("arm", "v6"), entry("arm", "v7"), entry("arm64"), entry("amd64")]}).encode()
    i = Index.from_json(raw)
    assert i.to_json() == raw
    assert i.select(Platform.parse("linux/arm64")).platform.architecture == "arm64"
    assert i.select(Platform.parse("linux/arm/v7")).platform.variant == "v7"
    assert i.select(Platform.parse("linux/arm")).platform.variant == "v7"
    assert i.select(Platform("linux", "amd64")).platform.architecture == "amd64"
    with pytest.raises(ImageSpecError, match="s390x"):
        i.select(Platform.parse("linux/s390x"))


def test_platform_parse_and_host():
    assert Platform.parse("linux/x86_64") == Platform("linux", "amd64")
    assert Platform.parse("arm64").os == "linux"
    with pytest.raises(ImageSpecError):
        Platform.parse("a/b/c/d")
    h = host()
    assert h.os == "linux" and h.architecture
    assert h.matches(h)
    p = Platform.from_dict({"os": "windows", "architecture": "amd64", "os.version": "10.0"})
    assert p.to_dict()["os.version"] == "10.0"


def test_image_config_round_trip():
    raw = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": {"Env": ["A=1"], "Cmd": ["sh"], "User": "1000", "Odd": True},
        "rootfs": {"type": "layers", "diff_ids": [D.compute(b"l")]},
        "history": [{"created_by": "x", "empty_layer": True}],
        "container_config": {"Hostname": "x"},
    }).encode()
    c = ImageConfig.from_json(raw)
    assert c.to_json() == raw
    assert c.config.cmd == ["sh"] and c.config.extra == {"Odd": True}
    assert c.history[0].empty_layer
    d = c.to_dict()
    assert d["container_config"] == {"Hostname": "x"}
    assert ImageConfig.from_dict(d).config == c.config
    assert c.platform == Platform("linux", "amd64")


@pytest.mark.parametrize("patch,msg", [
    ({"rootfs": {"type": "x", "diff_ids": []}}, "rootfs.type"),
    ({"rootfs": {"type": "layers", "diff_ids": ["bad"]}}, r"diff_ids\[0\]"),
    ({"config": {"Env": "A=1"}}, "Env"), ({"os": 3}, "os"),
])
def test_image_config_errors(patch, msg):
    d = {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}
    d.update(patch)
    with pytest.raises(ImageSpecError, match=msg):
        ImageConfig.from_dict(d)
