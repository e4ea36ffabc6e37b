"""The vulnerability database: OSV range evaluation, imports (atomic, unknown records
counted), a damaged database file (pure logic on temporary files)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from teu.scan.errors import DBError
from teu.scan.match import in_range
from teu.scan.versions import comparator
from teu.scan.vulndb import osv
from teu.scan.vulndb.db import open_db, status
from teu.scan.vulndb.importer import import_inputs
from teu.testing import scanadvisories


def _ev(*pairs):
    return [{k: v} for k, v in pairs]


def test_osv_range_events():
    sv = comparator("semver")
    two = _ev(("introduced", "1.0.0"), ("fixed", "1.5.0"), ("introduced", "2.0.0"),
              ("fixed", "2.5.0"))
    assert in_range("0.9.0", two, sv) == (False, "")
    assert in_range("1.2.0", two, sv) == (True, "1.5.0")
    assert in_range("1.5.0", two, sv) == (False, "")
    assert in_range("1.7.0", two, sv) == (False, "")
    assert in_range("2.4.9", two, sv) == (True, "2.5.0")
    assert in_range("3.0.0", two, sv) == (False, "")
    last = _ev(("introduced", "0"), ("last_affected", "4.17.1"))
    assert in_range("4.17.1", last, sv) == (True, "")
    assert in_range("4.17.2", last, sv) == (False, "")
    limited = _ev(("introduced", "0"), ("limit", "2.0.0"))
    assert in_range("1.9.0", limited, sv) == (True, "")
    assert in_range("2.0.0", limited, sv) == (False, "")
    deb = comparator("dpkg")
    tilde = _ev(("introduced", "0"), ("fixed", "3.0.11-1~deb12u1"))
    assert in_range("3.0.11-1~deb12u2", tilde, deb) == (False, "")
    assert in_range("3.0.11-1~deb11u9", tilde, deb) == (True, "3.0.11-1~deb12u1")
    epoch = _ev(("introduced", "0"), ("fixed", "1.2.13.dfsg-3"))
    assert in_range("1:1.2.13.dfsg-1", epoch, deb) == (False, "")


def test_osv_record_shapes():
    vuln, affected = osv.rows(scanadvisories.OSV[0])
    assert vuln[0] == "GHSA-h5c8-rqwp-cp95" and vuln[3] == "MEDIUM"
    assert affected[0][2:5] == ("PyPI", "", "jinja2")
    vuln, affected = osv.rows(next(r for r in scanadvisories.OSV if r["id"].startswith("ALPINE")))
    assert affected[0][2:5] == ("Alpine", "3.19", "openssl")
    assert osv.rows({"foo": "bar"}) is None
    assert osv.rows(next(r for r in scanadvisories.OSV if "git-only" in r["id"])) is None
    assert osv.cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") == 9.8
    assert osv.cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N") == 6.1


def test_import_counts_and_replaces(tmp_path):
    paths = scanadvisories.write(str(tmp_path / "adv"))
    db = str(tmp_path / "vuln.db")
    r = import_inputs(db, [paths["osv"], paths["tracker"]])
    assert r.records == {"osv": len(scanadvisories.OSV) - 1, "debian-tracker": 11}
    assert r.skipped_by == {"osv": 3, "debian-tracker": 1}
    # Importing the same data again replaces it: no duplicates.
    import_inputs(db, [paths["osv"], paths["tracker"]])
    conn = open_db(db)
    sources, counts = status(conn)
    assert {s.name: (s.records, s.skipped) for s in sources} == {
        "osv": (16, 3), "debian-tracker": (11, 1)}
    assert counts["withdrawn"] == 1
    n = conn.execute("SELECT COUNT(*) FROM affected WHERE package='openssl' AND "
                     "ecosystem='Debian' AND release='12'").fetchone()[0]
    assert n == 3   # CVE-2022-0001 (fixed "0") is not stored
    conn.close()


def test_a_truncated_or_corrupt_input_keeps_the_previous_database(tmp_path):
    paths = scanadvisories.write(str(tmp_path / "adv"))
    db = str(tmp_path / "vuln.db")
    import_inputs(db, [paths["tracker"]])
    good = tmp_path / "more"
    good.mkdir()
    (good / "a.json").write_text(json.dumps(scanadvisories.OSV[0]))
    (good / "b.json").write_text(json.dumps(scanadvisories.OSV[1])[:-40])   # truncated
    with pytest.raises(DBError, match="b.json: not valid JSON.*left as it was"):
        import_inputs(db, [str(good)])
    conn = open_db(db)
    assert conn.execute("SELECT COUNT(*) FROM vulns WHERE source='osv'").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM vulns").fetchone()[0] == 11
    conn.close()
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(DBError, match="damaged zip"):
        import_inputs(db, [str(tmp_path / "bad.zip")])
    with pytest.raises(DBError, match="no such file"):
        import_inputs(db, [str(tmp_path / "missing.json")])


def test_zip_of_osv_records(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "all.zip", "w") as z:
        for rec in scanadvisories.OSV[:3]:
            z.writestr(rec["id"] + ".json", json.dumps(rec))
    r = import_inputs(str(tmp_path / "vuln.db"), [str(tmp_path / "all.zip")])
    assert r.records == {"osv": 3} and r.files == 3


def test_a_damaged_database_file_is_a_clear_error(tmp_path):
    db = tmp_path / "vuln.db"
    with pytest.raises(DBError, match="no vulnerability database"):
        open_db(str(db))
    db.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(DBError, match="damaged"):
        open_db(str(db))
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x(y)").connection.commit()
    with pytest.raises(DBError, match="not a teu vulnerability database"):
        open_db(str(other))


def test_import_from_a_url_on_loopback(tmp_path):
    import functools
    import http.server
    import threading

    paths = scanadvisories.write(str(tmp_path / "adv"))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/adv/debian-tracker.json"
        r = import_inputs(str(tmp_path / "vuln.db"), [url])
        assert r.records == {"debian-tracker": 11}
        with pytest.raises(DBError, match="404|Not Found"):
            import_inputs(str(tmp_path / "vuln.db"), [url + ".missing"])
    finally:
        server.shutdown()
        server.server_close()
    assert paths


def test_ubuntu_and_debian_ecosystem_names():
    assert osv.split_ecosystem("Ubuntu:22.04:LTS") == ("Ubuntu", "22.04")
    assert osv.split_ecosystem("Ubuntu:Pro:18.04:LTS") == ("Ubuntu", "18.04")
    assert osv.split_ecosystem("Debian:12") == ("Debian", "12")
    assert osv.split_ecosystem("PyPI") == ("PyPI", "")
