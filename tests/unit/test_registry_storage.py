import os

import pytest
from registry_storage_suite import StorageSuite, upload

from teu.oci import digest as D
from teu.registry.server.storage.filesystem import FilesystemStorage


@pytest.fixture
def storage(tmp_path):
    return FilesystemStorage(str(tmp_path / "reg"))


@pytest.fixture
def reopen(tmp_path):
    return lambda: FilesystemStorage(str(tmp_path / "reg"))


class TestFilesystemStorage(StorageSuite):
    pass


def test_partial_upload_never_under_blob_name(tmp_path):
    s = FilesystemStorage(str(tmp_path))
    uid = s.new_upload("r")
    w = s.open_upload("r", uid)
    w.write(b"partial")
    w.close()
    # As after a kill -9: nothing in blobs/, the bytes wait in uploads/.
    assert list(s.iter_blobs()) == []
    assert os.path.getsize(tmp_path / "uploads" / uid / "data") == 7


def test_layout_on_disk(tmp_path):
    s = FilesystemStorage(str(tmp_path))
    dg = upload(s, "lib/x", b"data")
    hexd = D.parse(dg).encoded
    assert (tmp_path / "blobs" / "sha256" / hexd[:2] / hexd).read_bytes() == b"data"
    assert (tmp_path / "repositories" / "lib" / "x" / "_layers" / "sha256" / hexd).exists()
    assert list((tmp_path / "uploads").iterdir()) == []
