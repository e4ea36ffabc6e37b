"""`teu scan` and `teu scan db` on the fixture images and advisories, whose matches were
worked out by hand (teu.testing.scanadvisories.EXPECTED)."""

from __future__ import annotations

import json
import shutil

import pytest
from tests.integration.image_helpers import Distribution
from tests.integration.scan_helpers import ALPINE, DEBIAN, ROCKY, ScanEnv, make_env

from teu.testing import scanadvisories, scanimages


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    e = make_env(tmp_path_factory)
    e.adv = scanadvisories.write(str(e.top / "advisories"))
    out = e.teu.ok("scan", "db", "import", e.adv["osv"], e.adv["tracker"])
    assert "11 from debian-tracker, 16 from osv" in out and "4 records skipped" in out
    return e


def _findings(env: ScanEnv, image: str, *flags: str) -> set[tuple]:
    d = json.loads(env.teu.ok("scan", "--format", "json", *flags, image))
    return {(f["id"], f["package"], f["fixed"], f["severity"]) for f in d["findings"]}


@pytest.mark.parametrize("key,image", [("debian", DEBIAN), ("alpine", ALPINE), ("rpm", ROCKY)])
def test_findings_are_the_hand_worked_ones(env, key, image):
    want = set(scanadvisories.EXPECTED[key])
    if key == "debian" and scanimages.go_binary() is None:
        want = {w for w in want if w[1] != "stdlib"}
    assert _findings(env, image) == want


def test_filters_exit_code_and_ignorefile(env, tmp_path):
    got = _findings(env, DEBIAN, "--severity", "CRITICAL,HIGH", "--ignore-unfixed")
    assert {f[0] for f in got} == {"PYSEC-2021-142", "GHSA-xvch-5gv4-984h",
                                   "GHSA-67hx-6x53-jw92", "CVE-2024-2398", "CVE-2024-2961",
                                   "GHSA-35jh-r3h4-6jhm", "GO-2023-1840"} - (
        set() if scanimages.go_binary() else {"GO-2023-1840"})
    ignore = tmp_path / ".teuignore"
    ignore.write_text("# accepted risk\nCVE-2024-2398\nCVE-2024-2961 exp:2000-01-01\n")
    got = _findings(env, DEBIAN, "--ignorefile", str(ignore), "-s", "HIGH")
    assert "CVE-2024-2398" not in {f[0] for f in got}
    assert "CVE-2024-2961" in {f[0] for f in got}     # its exemption expired
    p = env.teu("scan", "--exit-code", "3", "-s", "CRITICAL", DEBIAN)
    assert p.returncode == 3 and "PYSEC-2021-142" in p.stdout
    p = env.teu("scan", "--exit-code", "3", ROCKY, "-s", "LOW")
    assert p.returncode == 0, p.stderr
    p = env.teu("scan", "--severity", "SEVERE", DEBIAN)
    assert p.returncode == 125 and "--severity" in p.stderr and "Traceback" not in p.stderr


def test_sarif_and_vex(env):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    sarif = json.loads(env.teu.ok("scan", "--format", "sarif", ALPINE))
    run = sarif["runs"][0]
    assert sarif["version"] == "2.1.0" and len(run["results"]) == 3
    assert {r["ruleId"] for r in run["results"]} == {r["id"] for r in run["tool"]["driver"][
        "rules"]}
    vex = env.teu.ok("scan", "--format", "cyclonedx-vex", DEBIAN)
    assert JsonStrictValidator(SchemaVersion.V1_5).validate_str(vex) is None
    doc = json.loads(vex)
    refs = {c["bom-ref"] for c in doc["components"]}
    assert all(a["ref"] in refs for v in doc["vulnerabilities"] for a in v["affects"])


def test_warm_scan_reads_no_layer(env):
    from teu.api import scan

    shutil.rmtree(env.cache_dir(), ignore_errors=True)
    cold = scan.scan(DEBIAN, root=str(env.teu.root))
    warm = scan.scan(DEBIAN, root=str(env.teu.root))
    assert (cold.layers_read, warm.layers_read) == (2, 0)
    assert warm.findings == cold.findings


def test_a_broken_package_database_is_reported_and_the_scan_goes_on(env, tmp_path):
    layers = [{"etc/os-release": scanimages.OS_RELEASE_DEBIAN.encode(),
               "var/lib/dpkg/status": b"Package: x\n\xff\xfe garbage without a colon\n",
               "app/node_modules/lodash/package.json": b'{"name": "lodash", "vers',
               "app/node_modules/minimist/package.json":
                   scanimages.package_json("minimist", "1.2.5")}]
    archive = tmp_path / "broken.tar"
    archive.write_bytes(scanimages.docker_archive(layers, "scan-fixture/broken:1"))
    env.teu.ok("load", "-q", "-i", str(archive))
    p = env.teu("scan", "--format", "json", "scan-fixture/broken:1")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert [f["id"] for f in d["findings"]] == ["GHSA-xvch-5gv4-984h"]
    assert any("var/lib/dpkg/status" in w for w in d["warnings"])
    assert any("lodash/package.json" in w for w in d["warnings"])
    assert "warning" in p.stderr


def test_db_status_and_a_damaged_database(env, tmp_path):
    out = env.teu.ok("scan", "db", "status")
    assert "debian-tracker: 11 records, 1 skipped" in out and "osv: 16 records, 3 skipped" in out
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"\0" * 4096)
    p = env.teu("scan", "--db", str(bad), DEBIAN)
    assert p.returncode == 1 and ("damaged" in p.stderr or "not a teu" in p.stderr)
    p = env.teu("scan", "--db", str(tmp_path / "none.db"), DEBIAN)
    assert p.returncode == 1 and "teu scan db import" in p.stderr
    truncated = tmp_path / "t.json"
    truncated.write_text(json.dumps(scanadvisories.TRACKER)[:100])
    p = env.teu("scan", "db", "import", str(truncated))
    assert p.returncode == 1 and "left as it was" in p.stderr
    assert "debian-tracker: 11 records" in env.teu.ok("scan", "db", "status")


def test_db_through_a_registry_as_an_oci_artifact(env, tmp_path):
    reg = Distribution(tmp_path / "registry").start()
    try:
        ref = f"{reg.host}/security/teu-db:latest"
        env.teu.ok("scan", "db", "push", ref)
        other = tmp_path / "pulled.db"
        out = env.teu.ok("scan", "db", "pull", "--db", str(other), ref)
        assert "sha256:" in out
        got = json.loads(env.teu.ok("scan", "--db", str(other), "--format", "json", ALPINE))
        assert {f["id"] for f in got["findings"]} == {"ALPINE-CVE-2024-2511",
                                                      "ALPINE-CVE-2025-26519"}
        p = env.teu("scan", "db", "pull", "--db", str(other), f"{reg.host}/security/none:1")
        assert p.returncode != 0 and "Traceback" not in p.stderr
        assert other.exists()    # the failed pull kept the database it had
    finally:
        reg.stop()


def test_pull_scan_refuses_an_image_over_the_severity(env, tmp_path):
    from tests.integration.engine_helpers import Teu

    reg = Distribution(tmp_path / "registry").start()
    try:
        ref = f"{reg.host}/fixtures/alpine:3.19"
        env.teu.ok("tag", ALPINE, ref)
        env.teu.ok("push", ref)
        other = Teu(tmp_path / "other")
        db = str(env.teu.root / "scan" / "vuln.db")
        p = other("pull", "--scan", "--scan-db", db, ref)
        assert p.returncode == 1 and "refused by the scan policy: 1 finding(s) at HIGH" in \
            p.stderr and "ALPINE-CVE-2025-26519" in p.stderr, p.stderr
        assert other("image", "inspect", ref).returncode != 0      # not kept
        p = other("pull", "--scan", "--scan-severity", "critical", "--scan-db", db, ref)
        assert p.returncode == 0, p.stderr
        assert other("image", "inspect", ref).returncode == 0
    finally:
        reg.stop()
