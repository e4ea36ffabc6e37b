"""`teu sbom` on images with known contents: what is listed (whiteouts applied), the
documents the official validators accept, the per-layer cache, bad input."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from tests.integration.scan_helpers import ALPINE, DEBIAN, ROCKY, make_env, peer


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return make_env(tmp_path_factory)


def _json(env, *args):
    return json.loads(env.teu.ok("sbom", *args))


def test_debian_image_inventory_merged_across_layers(env):
    d = _json(env, "--format", "json", DEBIAN)
    assert d["os"]["id"] == "debian" and d["os"]["version_id"] == "12"
    got = {(p["type"], p["name"], p["version"]) for p in d["packages"]}
    for want in [("deb", "openssl", "3.0.11-1~deb12u2"), ("deb", "zlib1g", "1:1.2.13.dfsg-1"),
                 ("deb", "bash", "5.2.15-2+b2"), ("pypi", "Jinja2", "3.1.2"),
                 ("pypi", "PyYAML", "5.3.1"), ("npm", "@babel/traverse", "7.22.0"),
                 ("npm", "debug", "2.6.9"), ("golang", "stdlib", "go1.19.8")]:
        assert want in got, want
    names = {p["name"] for p in d["packages"]}
    assert "oldpkg" not in names          # dpkg: config-files only
    assert "urllib3" not in names         # deleted by the second layer (a whiteout)
    bash = next(p for p in d["packages"] if p["name"] == "bash")
    assert bash["source_name"] == "bash" and bash["source_version"] == "5.2.15-2"


def test_alpine_and_rpm_images(env):
    a = _json(env, "-f", "json", ALPINE)
    assert a["os"]["id"] == "alpine"
    assert {(p["name"], p["source_name"]) for p in a["packages"]} >= {("libssl3", "openssl")}
    r = _json(env, "-f", "json", ROCKY)
    ossl = next(p for p in r["packages"] if p["name"] == "openssl-libs")
    assert (ossl["epoch"], ossl["version"], ossl["release"]) == (1, "3.0.7", "25.el9")


def test_spdx_passes_pyspdxtools(env, tmp_path):
    out = tmp_path / "sbom.spdx.json"
    env.teu.ok("sbom", "--format=spdx-json", "-o", str(out), DEBIAN)
    doc = json.loads(out.read_text())
    purls = {r["referenceLocator"] for p in doc["packages"] for r in p.get("externalRefs", [])}
    assert "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12" \
           "&upstream=openssl" in purls
    p = subprocess.run([peer("pyspdxtools"), "-i", str(out)], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0 and "error" not in (p.stdout + p.stderr).lower(), p.stdout + p.stderr


def test_cyclonedx_passes_the_json_validator(env):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    for image in (DEBIAN, ALPINE, ROCKY):
        text = env.teu.ok("sbom", "--format", "cyclonedx-json", image)
        assert JsonStrictValidator(SchemaVersion.V1_5).validate_str(text) is None
        assert json.loads(text)["specVersion"] == "1.5"


def test_warm_sbom_reads_no_layer(env):
    from teu.api import scan

    shutil.rmtree(env.cache_dir(), ignore_errors=True)
    cold = scan.scanned(DEBIAN, root=str(env.teu.root))
    assert cold.layers_read == 2
    warm = scan.scanned(DEBIAN, root=str(env.teu.root))
    assert warm.layers_read == 0
    assert warm.inventory().packages == cold.inventory().packages
    # A damaged cache record is read again from the layer, not trusted.
    for f in (env.cache_dir() / "layers").iterdir():
        f.write_text("{not json")
    again = scan.scanned(DEBIAN, root=str(env.teu.root))
    assert again.layers_read == 2 and again.inventory().packages == cold.inventory().packages


def test_table_and_bad_input(env):
    table = env.teu.ok("sbom", DEBIAN)
    assert "libssl3" in table and "3.0.11-1~deb12u2" in table
    p = env.teu("sbom", "no-such-image:1")
    assert p.returncode != 0 and "No such image" in p.stderr and "Traceback" not in p.stderr
    p = env.teu("sbom", "--format", "xml", DEBIAN)
    assert p.returncode == 125 and "--format" in p.stderr
    p = env.teu("sbom")
    assert p.returncode == 1 and "requires exactly 1 argument" in p.stderr
