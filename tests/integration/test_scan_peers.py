"""teu against its peers on the same images and the same advisories: trivy's findings
(its BoltDB written from teu's fixtures by teu.testing.trivydb), syft's and trivy's
package lists, hadolint's findings on the rules both have."""

from __future__ import annotations

import json
import subprocess

import pytest
from tests.integration.scan_helpers import ALPINE, DEBIAN, ROCKY, make_env, peer

from teu.testing import scanadvisories, trivydb

IMAGES = {"debian": DEBIAN, "alpine": ALPINE, "rpm": ROCKY}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    e = make_env(tmp_path_factory)
    adv = scanadvisories.write(str(e.top / "advisories"))
    e.teu.ok("scan", "db", "import", adv["osv"], adv["tracker"])
    e.trivy_cache = e.top / "trivy-cache"
    trivydb.write(str(e.trivy_cache))
    return e


def _trivy(env, archive: str, *args: str) -> dict:
    p = subprocess.run([peer("trivy"), "image", "--cache-dir", str(env.trivy_cache),
                        "--skip-db-update", "--skip-java-db-update", "--offline-scan", "-q",
                        "--skip-version-check", "--disable-telemetry", "--skip-vex-repo-update",
                        "--input", archive, *args], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def _bare(version: str) -> str:
    return version.removeprefix("go").removeprefix("v")


@pytest.mark.parametrize("key", ["debian", "alpine"])
def test_findings_equal_trivys(env, key):
    doc = _trivy(env, env.archives[key], "--scanners", "vuln", "--format", "json")
    theirs = {}
    for result in doc.get("Results", []):
        for v in result.get("Vulnerabilities") or []:
            theirs[(v["VulnerabilityID"], v["PkgName"], _bare(v["InstalledVersion"]))] = (
                v.get("FixedVersion", ""), v["Severity"], v["Status"])
    mine = json.loads(env.teu.ok("scan", "-f", "json", IMAGES[key]))["findings"]
    ours = {(f["id"], f["package"], _bare(f["installed"])): (f["fixed"], f["severity"],
                                                             "fixed" if f["fixed"] else "affected")
            for f in mine}
    assert set(ours) == set(theirs)
    for k, (fixed, severity, status) in ours.items():
        t_fixed, t_severity, t_status = theirs[k]
        # trivy lists every patched version ("0.2.4, 1.2.6"); teu the one above what is installed.
        assert fixed in (t_fixed.split(", ") if t_fixed else [""]), (k, fixed, t_fixed)
        assert (severity, status) == (t_severity, t_status), k


def _norm(kind: str, name: str, version: str) -> tuple[str, str, str]:
    kind = {"python": "pypi", "go-module": "golang", "library": kind}.get(kind, kind)
    if ":" in version and version.split(":", 1)[0].isdigit():
        version = version.split(":", 1)[1]        # epochs: trivy keeps them in the purl only
    name = name.lower().replace("_", "-")
    return kind, name, _bare(version) if kind == "golang" else version


def _teu_packages(env, image: str) -> set[tuple[str, str, str]]:
    d = json.loads(env.teu.ok("sbom", "-f", "json", image))
    return {_norm(p["type"], p["name"], p["version"] if p["type"] != "rpm" else
                  f"{p['version']}-{p['release']}") for p in d["packages"]}


@pytest.mark.parametrize("key", ["debian", "alpine", "rpm"])
def test_sbom_lists_what_syft_and_trivy_list(env, key):
    ours = _teu_packages(env, IMAGES[key])
    p = subprocess.run([peer("syft"), f"docker-archive:{env.archives[key]}", "-o", "json", "-q"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    syft = {_norm(a["type"], a["name"], a["version"]) for a in json.loads(p.stdout)["artifacts"]
            # Where syft differs by design: a dpkg entry left as config-files only is no
            # installed package (dpkg -l says "rc"), and a main module built from a work
            # tree has no version to match ("(devel)").
            if a["version"] != "(devel)" and a["name"] != "oldpkg"}
    assert ours == syft
    cdx = _trivy(env, env.archives[key], "--format", "cyclonedx")
    trivy = set()
    for c in cdx.get("components", []):
        purl = c.get("purl")
        if not purl:
            continue
        kind = purl[4:].split("/", 1)[0]
        name = c["name"] if kind != "npm" or "/" not in purl.split("@")[0][4:].split("/", 1)[1] \
            else "@" + purl.split("%40")[1].split("@")[0]
        trivy.add(_norm(kind, name, c.get("version", "")))
    assert ours == trivy


DOCKERFILES = [
    "FROM debian:latest AS base\nARG DB_PASSWORD=hunter2\nENV API_TOKEN=abc \\\n"
    "    PATH=/usr/bin\nRUN true\nFROM base\nFROM ubuntu\nEXPOSE 22 80\nUSER root\n",
    "FROM alpine:3.19\nARG API_KEY\nARG GITHUB_TOKEN=x\nENV AWS_SECRET_ACCESS_KEY=y\n"
    "ENV SESSION_TOKEN=1 ACCESS_KEY=2 PRIVATE_KEY=3 CREDENTIALS=4\nUSER 0\n",
    "FROM registry.local:5000/base\nUSER 1000\nFROM scratch\nCOPY --from=0 / /\n",
    "FROM python:3.12-slim@sha256:" + "a" * 64 + "\nRUN pip install x\nUSER app\n",
]
SHARED = {"DL3007": "TEU102", "DL3006": "TEU103", "DL3002": "TEU101", "DL3064": "TEU201"}


@pytest.mark.parametrize("n", range(len(DOCKERFILES)))
def test_lint_raises_what_hadolint_raises(env, tmp_path, n):
    path = tmp_path / "Dockerfile"
    path.write_text(DOCKERFILES[n])
    p = subprocess.run([peer("hadolint"), "-f", "json", str(path)], capture_output=True,
                       text=True, timeout=60)
    theirs = {(x["line"], SHARED[x["code"]]) for x in json.loads(p.stdout or "[]")
              if x["code"] in SHARED}
    mine = json.loads(env.teu("lint", "-f", "json", str(path)).stdout)
    ours = {(f["line"], f["code"]) for f in mine if f["code"] in SHARED.values()}
    assert ours == theirs
