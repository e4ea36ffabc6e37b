"""The image writer's two ways of unpacking (after the download, or while it streams)
give the same store, including when a partial download is resumed."""

from __future__ import annotations

import os

import pytest
from registry_helpers import busybox_layer, tar_of_files, verify_store, write_oci_layout

from teu.image.errors import LayerError
from teu.image.layout import LayoutReader
from teu.image.store import Store
from teu.image.writer import write_image


def _tree(root: str) -> dict:
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            out[os.path.relpath(p, root)] = (st.st_mode, st.st_uid, st.st_size)
    return out


@pytest.mark.parametrize("stream", [True, False])
def test_stream_and_sequential_agree(tmp_path, stream):
    layers = [busybox_layer(tmp_path), tar_of_files({"etc/big": os.urandom(3_000_000)})]
    write_oci_layout(tmp_path / "lay", layers, "v1")
    img = LayoutReader(str(tmp_path / "lay"))
    image = img.image(img.find("v1"))
    big = image.manifest().layers[1]
    with Store(str(tmp_path / "root")) as st:
        # A partial download left by a killed pull: the first third of the big layer.
        os.makedirs(st.blobs.ingest_dir)
        f, _ = img.open_blob(big)
        with open(os.path.join(st.blobs.ingest_dir, f"{big.digest.encoded}.partial"), "wb") as out:
            out.write(f.read(big.size // 3))
        f.close()
        r = write_image(st, image, name="t", tags=["docker.io/library/t:1"], jobs=2,
                        stream_unpack=stream)
        dirs = st.image("t:1").layer_dirs()
        assert r.new and r.fetched == 2 and verify_store(tmp_path / "root") == 4
        assert os.path.getsize(os.path.join(dirs[1], "etc/big")) == 3_000_000
        want = _tree(str(tmp_path / "bbroot"))
        got = _tree(dirs[0])
        assert got.keys() == want.keys()
        assert all(got[k][0] == want[k][0] for k in want)
        assert not os.listdir(st.blobs.ingest_dir)
        assert not [n for n in os.listdir(st.layers.dir) if n.startswith(".tmp")]


def test_stream_unpack_refuses_hostile_layer_and_keeps_store_clean(tmp_path):
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        ti = tarfile.TarInfo("../../escape")
        ti.size = 1
        t.addfile(ti, io.BytesIO(b"x"))
    write_oci_layout(tmp_path / "lay", [buf.getvalue()], "v1")
    img = LayoutReader(str(tmp_path / "lay"))
    with Store(str(tmp_path / "root")) as st:
        with pytest.raises(LayerError, match="escapes"):
            write_image(st, img.image(img.find("v1")), name="evil", tags=["x/evil:1"],
                        stream_unpack=True)
        assert st.images() == []
        assert not [n for n in os.listdir(st.layers.dir) if n]
    assert not (tmp_path / "escape").exists()
