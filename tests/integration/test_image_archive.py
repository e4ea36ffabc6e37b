"""teu save / load / import, read and written by the peers: oci-image-tool validate and
umoci unpack accept `teu save` output, skopeo reads it as docker-archive and oci-archive,
podman loads it; teu loads what skopeo writes in both forms."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest
import zstandard
from image_helpers import teu
from registry_helpers import TEU, busybox_layer, run, skopeo, tar_of_files, write_oci_layout

pytestmark = [pytest.mark.peer]


@pytest.fixture(scope="module")
def bb(tmp_path_factory) -> bytes:
    return busybox_layer(tmp_path_factory.mktemp("bb"))


@pytest.fixture
def imported(tmp_path, bb):
    """A store holding busybox imported as `teu/bb:1`, with a CMD."""
    root = tmp_path / "root"
    src = tmp_path / "rootfs.tar.gz"
    src.write_bytes(gzip.compress(bb))
    image_id = teu(root, "import", "-c", 'CMD ["/bin/busybox", "echo", "saved"]',
                   "-c", "ENV GREETING=hi", "-c", "WORKDIR /tmp", "-c", "USER user",
                   "-m", "from a test", str(src), "teu/bb:1").stdout.strip()
    return root, image_id


def images(root: Path) -> list[str]:
    return teu(root, "images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()


def test_import_then_inspect(imported):
    root, image_id = imported
    assert image_id.startswith("sha256:")
    info = json.loads(teu(root, "image", "inspect", "teu/bb:1").stdout)[0]
    assert info["Id"] == image_id
    assert info["Config"]["Cmd"] == ["/bin/busybox", "echo", "saved"]
    assert info["Config"]["Env"] == ["GREETING=hi"] and info["Config"]["WorkingDir"] == "/tmp"
    assert info["Config"]["User"] == "user" and info["Comment"] == "from a test"
    assert len(info["RootFS"]["Layers"]) == 1
    hist = teu(root, "history", "--format", "{{.CreatedBy}}|{{.Comment}}", "teu/bb:1").stdout
    assert hist.strip() == "teu import|from a test"
    lower = info["GraphDriver"]["Data"]["LowerDir"]
    assert (Path(lower) / "bin/busybox").exists()


def test_import_forms_and_bad_input(tmp_path, bb):
    root = tmp_path / "root"
    z = tmp_path / "rootfs.tar.zst"
    z.write_bytes(zstandard.ZstdCompressor().compress(bb))
    a = teu(root, "import", str(z), "z/bb").stdout.strip()
    env_root = ["--root", str(root)]
    p = subprocess.run([TEU, "import", *env_root, "-", "stdin/bb:2"], input=bb,
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    # Same content, same config but for the time it was made: both are images.
    assert sorted(images(root)) == ["stdin/bb:2", "z/bb:latest"] and a.startswith("sha256:")
    (tmp_path / "empty").write_bytes(b"")
    p = teu(root, "import", str(tmp_path / "empty"), "e/e", check=False)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    (tmp_path / "junk").write_bytes(b"\x1f\x8b junk that claims to be gzip")
    p = teu(root, "import", str(tmp_path / "junk"), "j/j", check=False)
    assert p.returncode == 1 and "gzip" in p.stderr
    p = teu(root, "import", "-c", "RUN rm -rf /", str(z), "x/x", check=False)
    assert p.returncode == 1 and "RUN is not supported" in p.stderr
    p = teu(root, "import", str(tmp_path / "nonexistent.tar"), "n/n", check=False)
    assert p.returncode == 1 and "No such file" in p.stderr
    assert sorted(images(root)) == ["stdin/bb:2", "z/bb:latest"]


def test_save_is_read_by_the_peers(tmp_path, imported):
    root, image_id = imported
    out = tmp_path / "saved.tar"
    teu(root, "save", "-o", str(out), "teu/bb:1")
    names = tarfile.open(out).getnames()
    assert {"oci-layout", "index.json", "manifest.json"} <= set(names)
    manifest = json.loads(tarfile.open(out).extractfile("manifest.json").read())
    assert manifest[0]["RepoTags"] == ["teu/bb:1"]
    assert manifest[0]["Config"] == f"blobs/sha256/{image_id[7:]}"
    index = json.loads(tarfile.open(out).extractfile("index.json").read())
    ann = index["manifests"][0]["annotations"]
    assert ann == {"io.containerd.image.name": "docker.io/teu/bb:1",
                   "org.opencontainers.image.ref.name": "1"}
    layout = tmp_path / "layout"
    layout.mkdir()
    run(["tar", "xf", str(out), "-C", str(layout)])
    # oci-image-tool 1.0.0-rc's tar walker is broken for any archive (skopeo's too), so
    # it validates the extracted layout.
    p = run(["oci-image-tool", "validate", "--type", "image", "--ref", "name=1", str(layout)])
    assert "Validation succeeded" in p.stdout + p.stderr
    bundle = tmp_path / "bundle"
    run(["umoci", "unpack", "--image", f"{layout}:1", str(bundle)])
    cfg = json.loads((bundle / "config.json").read_text())
    assert cfg["process"]["args"] == ["/bin/busybox", "echo", "saved"]
    assert cfg["process"]["cwd"] == "/tmp" and cfg["process"]["user"]["uid"] == 1000
    assert (bundle / "rootfs/bin/busybox").exists()
    da = json.loads(skopeo("inspect", f"docker-archive:{out}").stdout)
    oa = json.loads(skopeo("inspect", f"oci-archive:{out}:1").stdout)
    assert da["Env"] == ["GREETING=hi"] and oa["Env"] == ["GREETING=hi"]
    info = json.loads(teu(root, "image", "inspect", "teu/bb:1").stdout)[0]
    assert oa["Digest"] == info["Descriptor"]["digest"]  # the image keeps its digest
    # podman loads it (private storage; short runroot, podman insists).
    proot = Path(tempfile.mkdtemp(prefix="teu-pm-", dir="/tmp"))
    base = ["podman", "--root", str(proot / "root"), "--runroot", str(proot / "run"),
            "--storage-driver", "vfs"]
    try:
        p = run([*base, "load", "-i", str(out)])
        assert "teu/bb:1" in p.stdout
        got = run([*base, "image", "inspect", "--format", "{{.Config.Cmd}}",
                   "docker.io/teu/bb:1"]).stdout.strip()
        assert got == "[/bin/busybox echo saved]"
    finally:
        run([*base, "rmi", "-af"], check=False)
        shutil.rmtree(proot, ignore_errors=True)


def test_save_load_round_trip_and_stdio(tmp_path, imported):
    root, image_id = imported
    teu(root, "tag", "teu/bb:1", "teu/bb:two")
    out = tmp_path / "both.tar"
    teu(root, "save", "-o", str(out), "teu/bb:1", "teu/bb:two")
    teu(root, "rmi", "teu/bb:1", "teu/bb:two")
    assert images(root) == []
    p = teu(root, "load", "-q", "-i", str(out))
    assert p.stdout.split("\n")[:2] == ["Loaded image: teu/bb:1", "Loaded image: teu/bb:two"]
    assert sorted(images(root)) == ["teu/bb:1", "teu/bb:two"]
    # Through pipes, gzip-compressed on the way in.
    saved = subprocess.run([TEU, "save", "--root", str(root), "teu/bb:1"], capture_output=True,
                           timeout=60, check=True).stdout
    root2 = tmp_path / "root2"
    p = subprocess.run([TEU, "load", "--root", str(root2)], input=gzip.compress(saved, 1),
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert images(root2) == ["teu/bb:1"]
    assert json.loads(teu(root2, "image", "inspect", "teu/bb:1").stdout)[0]["Id"] == image_id


def test_load_what_skopeo_writes(tmp_path, bb):
    layout = tmp_path / "layout"
    write_oci_layout(layout, [bb, tar_of_files({"etc/x": b"x"})], "v1", cmd=["/bin/sh"])
    da = tmp_path / "docker.tar"
    oa = tmp_path / "oci.tar"
    skopeo("copy", f"oci:{layout}:v1", f"docker-archive:{da}:skopeo/da:v1")
    skopeo("copy", f"oci:{layout}:v1", f"oci-archive:{oa}:v1")
    root = tmp_path / "root"
    p = teu(root, "load", "-i", str(da))
    assert "Loaded image: skopeo/da:v1" in p.stdout
    p = teu(root, "load", "-i", str(oa))
    # A bare tag as ref.name names no repository: loaded untagged, as docker does.
    assert "Loaded image ID: sha256:" in p.stdout
    # Same config in both archives: one image (its ID is the config's digest).
    rows = teu(root, "images", "--format", "{{.Repository}} {{.Tag}}").stdout.split("\n")
    assert [r for r in rows if r] == ["skopeo/da v1"]
    info = json.loads(teu(root, "image", "inspect", "skopeo/da:v1").stdout)[0]
    assert info["Config"]["Cmd"] == ["/bin/sh"] and len(info["RootFS"]["Layers"]) == 2


def test_load_bad_archives(tmp_path, imported):
    root, _ = imported
    (tmp_path / "junk.tar").write_bytes(b"this is not a tar archive at all" * 50)
    p = teu(root, "load", "-i", str(tmp_path / "junk.tar"), check=False)
    assert p.returncode == 1 and "not a tar archive" in p.stderr
    good = tmp_path / "good.tar"
    teu(root, "save", "-o", str(good), "teu/bb:1")
    # Flip a byte inside the layer blob: load must refuse it and list nothing new.
    tf = tarfile.open(good)
    big = max((m for m in tf.getmembers() if m.isfile()), key=lambda m: m.size)
    data = bytearray(good.read_bytes())
    data[big.offset_data + 100] ^= 0xFF
    bad = tmp_path / "bad.tar"
    bad.write_bytes(bytes(data))
    root2 = tmp_path / "root2"
    p = teu(root2, "load", "-i", str(bad), check=False)
    assert p.returncode == 1 and ("digest mismatch" in p.stderr or "gzip" in p.stderr)
    assert images(root2) == []
    p = teu(root, "save", "-o", str(tmp_path / "x.tar"), "no/such:image", check=False)
    assert p.returncode == 1 and "No such image" in p.stderr
    assert not (tmp_path / "x.tar").exists()
