"""The vulnerability database as an OCI artifact, so a team shares one through its own
registry: an image manifest with artifactType application/vnd.teu.scan.db.v1, the
empty config, and one layer, the SQLite file gzipped. Pull verifies the blob's
digest, opens the result as a database, and only then renames it into place:
a bad download never replaces a good database.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile

from teu.scan.errors import DBError
from teu.scan.vulndb.db import open_db

ARTIFACT_TYPE = "application/vnd.teu.scan.db.v1"
LAYER_TYPE = "application/vnd.teu.scan.db.layer.v1.sqlite+gzip"
EMPTY = b"{}"
EMPTY_DESC = {"mediaType": "application/vnd.oci.empty.v1+json",
              "digest": "sha256:" + hashlib.sha256(EMPTY).hexdigest(), "size": 2}
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"


def _repo(ref_text: str, tls_verify: bool | None, creds: tuple[str, str] | None):  # noqa: ANN202
    from teu.image import reference as R
    from teu.registry.client import credentials
    from teu.registry.client.remote import Registry

    ref = R.parse(ref_text)
    creds = creds or credentials.lookup(ref.domain, None)
    return ref, Registry(ref.registry, tls_verify, creds).repository(ref.path)


def push(db_path: str, ref_text: str, tls_verify: bool | None = None,
         creds: tuple[str, str] | None = None) -> str:
    """Push the database; returns the manifest digest."""
    conn = open_db(db_path)
    with tempfile.TemporaryDirectory(prefix="teu-scan-db-") as tmp:
        snap = os.path.join(tmp, "vuln.db")
        out = sqlite3.connect(snap)
        conn.backup(out)        # a consistent copy even while another teu imports
        out.close()
        conn.close()
        layer = os.path.join(tmp, "vuln.db.gz")
        with open(snap, "rb") as src, gzip.open(layer, "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        h = hashlib.sha256()
        with open(layer, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
        digest, size = "sha256:" + h.hexdigest(), os.path.getsize(layer)
        ref, repo = _repo(ref_text, tls_verify, creds)
        if not repo.blob_exists(EMPTY_DESC["digest"]):
            repo.upload_monolithic(repo.start_upload(), EMPTY_DESC["digest"], 2, EMPTY)
        if not repo.blob_exists(digest):
            with open(layer, "rb") as f:
                repo.upload_monolithic(repo.start_upload(), digest, size, f)
    manifest = {"schemaVersion": 2, "mediaType": MANIFEST_TYPE, "artifactType": ARTIFACT_TYPE,
                "config": EMPTY_DESC,
                "layers": [{"mediaType": LAYER_TYPE, "digest": digest, "size": size,
                            "annotations": {"org.opencontainers.image.title": "vuln.db.gz"}}]}
    raw = json.dumps(manifest, separators=(",", ":")).encode()
    return str(repo.put_manifest(ref.tag or "latest", raw, MANIFEST_TYPE))


def pull(db_path: str, ref_text: str, tls_verify: bool | None = None,
         creds: tuple[str, str] | None = None) -> str:
    """Pull the database into db_path; returns the manifest digest."""
    ref, repo = _repo(ref_text, tls_verify, creds)
    raw, _, mdigest = repo.get_manifest(ref.identifier)
    try:
        m = json.loads(raw)
        layer = next(x for x in m.get("layers", []) if x.get("mediaType") == LAYER_TYPE)
    except (ValueError, StopIteration, AttributeError):
        raise DBError(f"{ref_text}: not a teu vulnerability database artifact") from None
    os.makedirs(os.path.dirname(os.path.abspath(db_path)), exist_ok=True)
    tmp = f"{db_path}.pull-{os.getpid()}"
    try:
        resp, _ = repo.open_blob(layer["digest"])
        h = hashlib.sha256()
        with resp, open(tmp + ".gz", "wb") as f:
            while chunk := resp.read(1 << 20):
                h.update(chunk)
                f.write(chunk)
        if "sha256:" + h.hexdigest() != layer["digest"]:
            raise DBError(f"{ref_text}: database blob does not match its digest; kept the "
                          "previous database")
        try:
            with gzip.open(tmp + ".gz", "rb") as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        except (OSError, EOFError) as e:
            raise DBError(f"{ref_text}: damaged database blob ({e}); kept the previous "
                          "database") from None
        check = open_db(tmp)
        try:
            if check.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise DBError(f"{ref_text}: the pulled database fails its integrity check")
        finally:
            check.close()
        for suffix in ("-wal", "-shm"):
            try:
                os.unlink(db_path + suffix)
            except FileNotFoundError:
                pass
        os.replace(tmp, db_path)
    finally:
        for p in (tmp, tmp + ".gz", tmp + "-wal", tmp + "-shm"):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
    return str(mdigest)
