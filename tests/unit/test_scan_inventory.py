"""The inventory's parsers and the layer merge, on bytes made here (pure logic)."""

from __future__ import annotations

import io
import os
import struct

from teu.scan.inventory import apk, dpkg, gobin, npm, osrelease, python, rpm
from teu.scan.inventory.layerscan import Item, LayerFacts
from teu.scan.inventory.merge import deleted_secrets, inventory
from teu.scan.inventory.model import OSInfo, Package
from teu.scan.sbom.purl import purl
from teu.testing import scanimages


def test_dpkg_status_installed_only_with_source_names_and_versions():
    pkgs = {p.name: p for p in dpkg.packages(io.StringIO(scanimages.dpkg_status().decode()),
                                             "var/lib/dpkg/status")}
    assert "oldpkg" not in pkgs                      # config-files only: not installed
    assert pkgs["libssl3"].source_name == "openssl"
    assert pkgs["libssl3"].source_version == "3.0.11-1~deb12u2"
    assert pkgs["bash"].version == "5.2.15-2+b2"     # a binNMU: the source is older
    assert (pkgs["bash"].source_name, pkgs["bash"].source_version) == ("bash", "5.2.15-2")
    assert pkgs["zlib1g"].version == "1:1.2.13.dfsg-1"
    assert pkgs["openssl"].source_name == "openssl" and pkgs["openssl"].arch == "amd64"


def test_dpkg_garbage_is_an_error_not_a_crash():
    try:
        dpkg.packages(io.StringIO("Package: a\nthis is no field\n"), "x")
    except ValueError as e:
        assert "not a field" in str(e)
    else:
        raise AssertionError("accepted a malformed status file")


def test_apk_installed():
    pkgs = apk.packages(io.StringIO(scanimages.apk_installed().decode()), "lib/apk/db/installed")
    by = {p.name: p for p in pkgs}
    assert by["libcrypto3"].source_name == "openssl"
    assert by["musl"].version == "1.2.4_git20230717-r4" and by["musl"].licenses == ["MIT"]
    assert len(pkgs) == len(scanimages.APK)


def test_rpm_header_round_trip_and_source_name(tmp_path):
    path = tmp_path / "rpmdb.sqlite"
    path.write_bytes(scanimages.rpmdb())
    pkgs = {p.name: p for p in rpm.packages(str(path), "var/lib/rpm/rpmdb.sqlite")}
    ossl = pkgs["openssl-libs"]
    assert (ossl.epoch, ossl.version, ossl.release) == (1, "3.0.7", "25.el9")
    assert ossl.full_version == "1:3.0.7-25.el9" and ossl.source_name == "openssl"
    assert pkgs["bash"].epoch is None and pkgs["bash"].full_version == "5.1.8-6.el9"
    assert rpm.source_name("python3-3.9.18-1.el9_3.1.src.rpm") == "python3"


def test_rpm_truncated_header_is_refused():
    blob = rpm.make_header({rpm.NAME: "x", rpm.VERSION: "1"})
    try:
        rpm.parse_header(blob[:-3])
    except ValueError:
        pass
    else:
        raise AssertionError("a truncated header parsed")


def test_python_metadata_headers_only():
    meta = scanimages.python_metadata("Jinja2", "3.1.2") + b"Name: not-this\n" * 3
    p = python.package(io.StringIO(meta.decode()), "x/METADATA")
    assert (p.name, p.version, p.licenses) == ("Jinja2", "3.1.2", ["MIT"])
    assert python.normalize("Zope.Interface__x") == "zope-interface-x"


def test_npm_package_json():
    p = npm.package(b'{"name": "@babel/core", "version": "7.22.0", "license": {"type": "MIT"}}',
                    "x")
    assert (p.name, p.version, p.licenses) == ("@babel/core", "7.22.0", ["MIT"])
    assert npm.package(b'{"name": "no-version"}', "x") is None


def _buildinfo(go: str, mod: str) -> bytes:
    def s(b: bytes) -> bytes:
        n, out = len(b), b""
        while n >= 0x80:
            out += bytes([n & 0x7F | 0x80])
            n >>= 7
        return out + bytes([n]) + b
    sentinel = b"0" * 16
    return gobin.MAGIC + bytes([8, 2]) + b"\0" * 16 + s(go.encode()) + \
        s(sentinel + mod.encode() + sentinel)


def test_go_buildinfo_modules_and_replacements():
    mod = ("path\texample.com/app\nmod\texample.com/app\t(devel)\t\n"
           "dep\tgolang.org/x/net\tv0.7.0\th1:x=\n"
           "dep\tgithub.com/old/thing\tv1.0.0\th1:y=\n=>\tgithub.com/new/thing\tv1.2.3\th1:z=\n"
           "build\t-compiler=gc\n")
    pkgs = [(p.name, p.version) for p in gobin.parse_buildinfo(_buildinfo("go1.21.4", mod), "b")]
    assert pkgs == [("golang.org/x/net", "v0.7.0"), ("github.com/new/thing", "v1.2.3"),
                    ("stdlib", "go1.21.4")]


def test_go_buildinfo_from_an_elf_section(tmp_path):
    """A minimal ELF64 with a .go.buildinfo section: found through the section headers."""
    data = _buildinfo("go1.22.0", "dep\tgithub.com/a/b\tv1.0.0\t\n")
    shstr = b"\0.go.buildinfo\0.shstrtab\0"
    body = b"\0" * 64 + data + shstr
    shoff = len(body)

    def sh(name: int, off: int, size: int) -> bytes:
        return struct.pack("<IIQQQQIIQQ", name, 1, 0, 0, off, size, 0, 0, 1, 0)
    headers = b"\0" * 64 + sh(1, 64, len(data)) + sh(15, 64 + len(data), len(shstr))
    ident = b"\x7fELF\x02\x01\x01" + b"\0" * 9
    ehdr = ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0, 0, shoff, 0, 64, 56, 0, 64, 3, 2)
    path = tmp_path / "prog"
    path.write_bytes(ehdr + body[64:] + headers)
    os.chmod(path, 0o755)
    got = gobin.packages(str(path), "prog")
    assert [(p.name, p.version) for p in got] == [("github.com/a/b", "v1.0.0"),
                                                 ("stdlib", "go1.22.0")]
    (tmp_path / "text").write_bytes(b"#!/bin/sh\n" * 100)
    assert gobin.packages(str(tmp_path / "text"), "text") is None


def test_os_release_quotes():
    info = osrelease.parse(scanimages.OS_RELEASE_DEBIAN + '# comment\nX="a \\"b\\""\n')
    assert (info.id, info.version_id, info.version_codename) == ("debian", "12", "bookworm")
    assert OSInfo(id="alpine", version_id="3.19.1").release == "3.19"


def _pkg_item(path: str, name: str) -> Item:
    return Item(path, "python", [Package("pypi", name, "1.0", path=path).to_dict()])


def test_merge_applies_whiteouts_and_opaque_directories():
    lower = LayerFacts("sha256:a", [_pkg_item("x/a.dist-info/METADATA", "a"),
                                    _pkg_item("x/b.dist-info/METADATA", "b"),
                                    _pkg_item("opq/c.dist-info/METADATA", "c")],
                       secrets=[{"path": "root/key", "what": "private key"}])
    upper = LayerFacts("sha256:b", [_pkg_item("opq/d.dist-info/METADATA", "d")],
                       whiteouts=["x/a.dist-info", "root/key"], opaque=["opq"])
    inv = inventory([lower, upper])
    assert [(p.name, p.layer) for p in inv.packages] == [("b", "sha256:a"), ("d", "sha256:b")]
    assert deleted_secrets([lower, upper]) == {("sha256:a", "root/key")}


def test_purls_as_the_peers_write_them():
    deb = OSInfo(id="debian", version_id="12")
    assert purl(Package("deb", "libssl3", "3.0.11-1~deb12u2", arch="amd64",
                        source_name="openssl"), deb) == \
        "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"
    assert purl(Package("npm", "@babel/core", "7.22.0"), deb) == "pkg:npm/%40babel/core@7.22.0"
    assert purl(Package("pypi", "Jinja2", "3.1.2"), deb) == "pkg:pypi/jinja2@3.1.2"
    assert purl(Package("golang", "golang.org/x/net", "v0.7.0"), deb) == \
        "pkg:golang/golang.org/x/net@v0.7.0"
    assert purl(Package("golang", "stdlib", "go1.19.8"), deb) == "pkg:golang/stdlib@1.19.8"
    rocky = OSInfo(id="rocky", version_id="9.3")
    assert purl(Package("rpm", "openssl-libs", "3.0.7", release="25.el9", epoch=1,
                        arch="x86_64", source_name="openssl"), rocky) == \
        "pkg:rpm/rocky/openssl-libs@3.0.7-25.el9?arch=x86_64&distro=rocky-9.3&epoch=1" \
        "&upstream=openssl"


def test_secret_files_by_name_and_content(tmp_path):
    from teu.scan.inventory.layerscan import scan_layer

    files = {"root/.npmrc": "registry=https://r.invalid/\n",
             "home/u/.npmrc": "//r.invalid/:_authToken=abc\n",
             "home/u/.docker/config.json": '{"auths": {"r": {"auth": "eA=="}}}',
             "app/.env.example": "PASSWORD=\n", "app/.env.prod": "PASSWORD=x\n",
             "srv/key.pem": scanimages.FAKE_PRIVATE_KEY,
             "usr/share/doc/x/key.pem": scanimages.FAKE_PRIVATE_KEY,   # a system tree
             "etc/hosts": "127.0.0.1 localhost\n"}
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    hits = {h["path"]: h["what"] for h in scan_layer(str(tmp_path), "sha256:x").secrets}
    assert hits == {"home/u/.npmrc": "npm credentials",
                    "home/u/.docker/config.json": "registry credentials",
                    "app/.env.prod": "dotenv file", "srv/key.pem": "private key"}


def test_release_files_when_os_release_is_missing():
    deb = LayerFacts("sha256:a", [Item("etc/debian_version", "os-release",
                                       os=osrelease.from_release_file("debian", "12.5\n")
                                       .to_dict())])
    inv = inventory([deb])
    assert (inv.os.id, inv.os.version_id, inv.os.release) == ("debian", "12.5", "12")
    assert osrelease.from_release_file("debian", "trixie/sid\n").version_id == ""


def test_hostile_layer_contents(tmp_path):
    """Symlinks out of the layer are never followed, oversized metadata is an error, deep
    nesting is walked without recursion, a garbage ELF is no Go binary."""
    from teu.scan.inventory.layerscan import scan_layer

    secret = tmp_path / "host-secret"
    secret.write_text("Name: stolen\nVersion: 1\n")
    layer = tmp_path / "layer"
    meta = layer / "usr/lib/python3/dist-packages/evil-1.dist-info"
    meta.mkdir(parents=True)
    (meta / "METADATA").symlink_to(secret)                       # points out of the layer
    (layer / "etc").mkdir()
    (layer / "etc/os-release").symlink_to("/etc/os-release")     # absolute: the host's
    big = layer / "app/node_modules/huge"
    big.mkdir(parents=True)
    (big / "package.json").write_bytes(b"{" + b" " * (5 << 20) + b"}")
    deep = layer
    for i in range(400):
        deep = deep / f"d{i % 10}"
    deep.mkdir(parents=True)
    (deep / "package.json").write_text('{"name": "deep", "version": "1.0.0"}')
    elf = layer / "usr/bin/fake"
    elf.parent.mkdir(parents=True)
    elf.write_bytes(b"\x7fELF\x02\x01\x01" + b"\xff" * (600 << 10))
    os.chmod(elf, 0o755)
    facts = scan_layer(str(layer), "sha256:x")
    inv = inventory([facts])
    assert [p.name for p in inv.packages] == ["deep"]
    assert inv.os.id == ""
    assert any("too large" in e for e in inv.errors)
