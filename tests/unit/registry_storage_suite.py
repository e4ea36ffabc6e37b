"""The shared suite every registry storage backend must pass.

A backend's test module subclasses StorageSuite and provides a `storage`
fixture; see test_registry_storage.py for the filesystem backend.
"""

from __future__ import annotations

import json

import pytest

from teu.oci import digest as D
from teu.registry.server.storage.base import DigestMismatch, UploadBusy, UploadUnknown


def upload(storage, repo: str, data: bytes, parts: int = 1) -> str:
    uid = storage.new_upload(repo)
    step = max(1, len(data) // parts)
    for i in range(0, len(data), step):
        w = storage.open_upload(repo, uid)
        w.write(data[i:i + step])
        w.close()
    dg = D.compute(data)
    storage.commit_upload(repo, uid, dg)
    return dg


class StorageSuite:
    def test_blob_round_trip(self, storage):
        dg = upload(storage, "a/b", b"hello world", parts=3)
        assert storage.repo_has_blob("a/b", dg)
        assert not storage.repo_has_blob("other", dg)
        assert storage.blob_size(dg) == 11
        with storage.open_blob(dg) as f:
            assert f.read() == b"hello world"
        assert dg in list(storage.iter_blobs())
        assert list(storage.iter_repo_blobs("a/b")) == [dg]

    def test_empty_blob(self, storage):
        dg = upload(storage, "r", b"")
        assert storage.blob_size(dg) == 0

    def test_digest_mismatch_stores_nothing(self, storage):
        uid = storage.new_upload("r")
        w = storage.open_upload("r", uid)
        w.write(b"abc")
        w.close()
        wrong = D.compute(b"abd")
        with pytest.raises(DigestMismatch):
            storage.commit_upload("r", uid, wrong)
        assert storage.blob_size(wrong) is None
        assert storage.blob_size(D.compute(b"abc")) is None
        assert not storage.repo_has_blob("r", wrong)

    def test_upload_status_resume_cancel(self, storage):
        uid = storage.new_upload("r")
        assert storage.upload_size("r", uid) == 0
        w = storage.open_upload("r", uid)
        w.write(b"12345")
        w.close()
        assert storage.upload_size("r", uid) == 5
        with pytest.raises(UploadUnknown):
            storage.upload_size("other", uid)
        storage.cancel_upload("r", uid)
        with pytest.raises(UploadUnknown):
            storage.upload_size("r", uid)
        with pytest.raises(UploadUnknown):
            storage.open_upload("r", "../../etc")

    def test_resume_after_restart_rehashes(self, storage, reopen):
        uid = storage.new_upload("r")
        w = storage.open_upload("r", uid)
        w.write(b"first-")
        w.close()
        again = reopen()  # a new process: no hash state in memory
        w = again.open_upload("r", uid)
        assert w.offset == 6
        w.write(b"second")
        w.close()
        dg = D.compute(b"first-second")
        again.commit_upload("r", uid, dg)
        assert again.repo_has_blob("r", dg)

    def test_concurrent_writers_refused(self, storage):
        uid = storage.new_upload("r")
        w = storage.open_upload("r", uid)
        with pytest.raises(UploadBusy):
            storage.open_upload("r", uid)
        w.close()
        storage.open_upload("r", uid).close()

    def test_same_blob_twice(self, storage):
        a = upload(storage, "r1", b"same")
        b = upload(storage, "r2", b"same")
        assert a == b and storage.repo_has_blob("r1", a) and storage.repo_has_blob("r2", a)

    def test_link_unlink(self, storage):
        dg = upload(storage, "r1", b"x")
        storage.link_blob("r2", dg)
        assert storage.repo_has_blob("r2", dg)
        assert storage.unlink_blob("r2", dg)
        assert not storage.unlink_blob("r2", dg)
        assert storage.repo_has_blob("r1", dg)

    def test_manifests_tags_referrers(self, storage):
        body = b'{"schemaVersion":2}'
        dg = D.compute(body)
        storage.put_manifest("r", dg, "application/vnd.oci.image.manifest.v1+json", body, "v1")
        m = storage.get_manifest("r", "v1")
        assert m is not None and m.digest == dg and m.content == body
        assert storage.get_manifest("r", dg).media_type.endswith("manifest.v1+json")
        assert storage.get_manifest("r2", dg) is None
        assert storage.tags("r") == ["v1"]
        assert storage.tags("nope") is None
        ref_body = json.dumps({"schemaVersion": 2, "subject": {"digest": dg}}).encode()
        ref = D.compute(ref_body)
        desc = {"mediaType": "m", "digest": ref, "size": len(ref_body), "artifactType": "a/b"}
        storage.put_manifest("r", ref, "m", ref_body, None, dg, desc)
        assert storage.referrers("r", dg) == [desc]
        assert sorted(storage.iter_manifests("r")) == sorted([dg, ref])
        assert storage.delete_manifest("r", ref)
        assert storage.referrers("r", dg) == []
        storage.put_manifest("r", dg, "x", body, "v2")
        assert storage.delete_tag("r", "v2") and not storage.delete_tag("r", "v2")
        assert storage.delete_manifest("r", dg)
        assert storage.get_manifest("r", "v1") is None
        assert storage.tags("r") == []
        assert not storage.delete_manifest("r", dg)

    def test_repositories(self, storage):
        upload(storage, "b/c", b"1")
        upload(storage, "a", b"2")
        upload(storage, "b", b"3")
        assert storage.repositories() == ["a", "b", "b/c"]
        assert storage.repo_exists("b/c") and not storage.repo_exists("zz")

    def test_expire_uploads(self, storage):
        uid = storage.new_upload("r")
        assert storage.expire_uploads(3600) == 0
        assert storage.expire_uploads(-1) == 1
        with pytest.raises(UploadUnknown):
            storage.upload_size("r", uid)
