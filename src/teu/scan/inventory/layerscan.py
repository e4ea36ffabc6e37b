"""One unpacked layer directory -> its LayerFacts: what the inventory and the lint need,
read once and kept as JSON in the scan cache (keyed by the layer's diff ID).

The walk never follows symlinks and reads only files whose path says they are a
package database, a package's metadata, an os-release, a Go binary, or
something that may hold a secret, each with a size cap: memory stays bounded
however large or hostile the layer is.
"""

from __future__ import annotations

import os
import stat

from teu.scan import secrets
from teu.scan.inventory import apk, dpkg, gobin, npm, osrelease, python, rpm
from teu.scan.inventory.facts import FACTS_VERSION, Item, LayerFacts

__all__ = ["FACTS_VERSION", "Item", "LayerFacts", "scan_layer"]
OPAQUE_XATTR = "trusted.overlay.opaque"
_MAX_TEXT_DB = 256 << 20      # a dpkg status or apk db is streamed line by line up to this
_MAX_SMALL = 4 << 20          # package.json, METADATA, os-release
_GO_MIN_SIZE = 512 << 10      # smaller executables are never Go binaries
_MAX_SECRET_HITS = 1000       # a hostile layer of a million key files stays a small record

OS_RELEASE = ("etc/os-release", "usr/lib/os-release")
# One-line release files: what identifies the OS when os-release is missing or a symlink
# into a tree the image does not have.
RELEASE_FILES = {"etc/debian_version": "debian", "etc/alpine-release": "alpine"}
DPKG_STATUS = "var/lib/dpkg/status"
DPKG_STATUS_D = "var/lib/dpkg/status.d/"
APK_DB = "lib/apk/db/installed"
RPM_DBS = ("var/lib/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite")


def _kind(rel: str, name: str) -> str | None:
    if rel in OS_RELEASE or rel in RELEASE_FILES:
        return "os-release"
    if rel == DPKG_STATUS or (rel.startswith(DPKG_STATUS_D) and rel.count("/") == 4):
        return "dpkg"
    if rel == APK_DB:
        return "apk"
    if rel in RPM_DBS:
        return "rpm"
    if name in ("METADATA", "PKG-INFO"):
        parent = rel.rsplit("/", 2)[-2] if rel.count("/") else ""
        if (name == "METADATA" and parent.endswith(".dist-info")) or \
           (name == "PKG-INFO" and parent.endswith(".egg-info")):
            return "python"
    if name.endswith(".egg-info") and "-packages/" in rel:
        return "python"  # an egg-info file (distutils), not a directory
    if name == "package.json":
        return "npm"   # in node_modules or an application's own (trivy and syft list both)
    return None


def _read_item(host: str, rel: str, kind: str, size: int) -> Item:
    item = Item(rel, kind)
    try:
        if kind == "rpm":
            pkgs = rpm.packages(host, rel)
        elif kind in ("dpkg", "apk"):
            if size > _MAX_TEXT_DB:
                raise ValueError(f"{size} bytes: larger than any real package database")
            with open(host, encoding="utf-8", errors="replace") as f:
                pkgs = (dpkg if kind == "dpkg" else apk).packages(f, rel)
        else:
            if size > _MAX_SMALL:
                raise ValueError(f"{size} bytes: too large for {kind} metadata")
            if kind == "os-release":
                with open(host, encoding="utf-8", errors="replace") as f:
                    text = f.read(64 << 10)
                if rel in RELEASE_FILES:
                    item.os = osrelease.from_release_file(RELEASE_FILES[rel], text).to_dict()
                else:
                    item.os = osrelease.parse(text).to_dict()
                return item
            if kind == "python":
                with open(host, encoding="utf-8", errors="replace") as f:
                    p = python.package(f, rel)
            else:
                with open(host, "rb") as f:
                    p = npm.package(f.read(), rel)
            pkgs = [p] if p else []
        item.packages = [p.to_dict() for p in pkgs]
    except (OSError, ValueError, UnicodeError, Exception) as e:  # noqa: B014 - sqlite3 too
        item.error = f"{rel}: {e}"
    return item


def scan_layer(layer_dir: str, diff_id: str) -> LayerFacts:
    facts = LayerFacts(diff_id)
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        host_dir = os.path.join(layer_dir, rel_dir) if rel_dir else layer_dir
        try:
            it = os.scandir(host_dir)
        except OSError:
            continue
        with it:
            for e in it:
                rel = f"{rel_dir}/{e.name}" if rel_dir else e.name
                try:
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    continue
                facts.files += 1
                mode = st.st_mode
                if stat.S_ISDIR(mode):
                    try:
                        if os.getxattr(e.path, OPAQUE_XATTR, follow_symlinks=False) == b"y":
                            facts.opaque.append(rel)
                    except OSError:
                        pass
                    stack.append(rel)
                    continue
                if stat.S_ISCHR(mode) and st.st_rdev == 0:
                    facts.whiteouts.append(rel)
                    continue
                if not stat.S_ISREG(mode):
                    continue
                kind = _kind(rel, e.name)
                if kind:
                    facts.items.append(_read_item(e.path, rel, kind, st.st_size))
                elif mode & 0o111 and st.st_size >= _GO_MIN_SIZE:
                    try:
                        pkgs = gobin.packages(e.path, rel)
                    except (OSError, ValueError, IndexError) as err:
                        facts.items.append(Item(rel, "go", error=f"{rel}: {err}"))
                        pkgs = None
                    if pkgs is not None:
                        facts.items.append(Item(rel, "go", [p.to_dict() for p in pkgs]))
                _check_secret(facts, e.path, rel, st.st_size)
    facts.items.sort(key=lambda i: i.path)
    facts.whiteouts.sort()
    facts.opaque.sort()
    return facts


def _check_secret(facts: LayerFacts, host: str, rel: str, size: int) -> None:
    what = secrets.by_name(rel)
    key = secrets.keyed(rel) if what is None else None
    if what is None and (key or secrets.worth_reading(rel, size)):
        try:
            fd = os.open(host, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
            try:
                data = os.read(fd, secrets.MAX_CONTENT)
            finally:
                os.close(fd)
        except OSError:
            return
        what = key[1] if key and key[0] in data else secrets.in_content(data)
    if what and len(facts.secrets) < _MAX_SECRET_HITS:
        facts.secrets.append({"path": rel, "what": what})
