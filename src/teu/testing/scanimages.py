"""Images with known contents for the scan's tests and benchmarks, made locally.

Each is a classic docker-archive (manifest.json, config, one layer.tar per
layer) that `teu load`, trivy (`--input`) and syft (`docker-archive:`) all
read. The Debian one is a fake root whose dpkg status lists openssl, curl and
others at fixed versions (epochs, `~`, binNMUs, a removed package), with
Python and npm packages, a real Go binary from the host, secrets, and a
second layer that deletes some of it (whiteouts).

    python -m teu.testing.scanimages OUT_DIR     # writes debian.tar, alpine.tar, rpm.tar
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import sys
import tarfile
import tempfile

WHITEOUT = object()

OS_RELEASE_DEBIAN = """PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
"""
OS_RELEASE_ALPINE = """NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.19.1
PRETTY_NAME="Alpine Linux v3.19"
"""
OS_RELEASE_ROCKY = """NAME="Rocky Linux"
VERSION="9.3 (Blue Onyx)"
ID="rocky"
VERSION_ID="9.3"
PRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"
"""

# (package, version, source field or "", status)
DPKG = [
    ("base-files", "12.4+deb12u5", "", "install ok installed"),
    ("bash", "5.2.15-2+b2", "bash (5.2.15-2)", "install ok installed"),
    ("curl", "7.88.1-10+deb12u5", "", "install ok installed"),
    ("libcurl4", "7.88.1-10+deb12u5", "curl", "install ok installed"),
    ("libc6", "2.36-9+deb12u4", "glibc", "install ok installed"),
    ("libssl3", "3.0.11-1~deb12u2", "openssl", "install ok installed"),
    ("openssl", "3.0.11-1~deb12u2", "", "install ok installed"),
    ("tar", "1.34+dfsg-1.2+deb12u1", "", "install ok installed"),
    ("zlib1g", "1:1.2.13.dfsg-1", "zlib", "install ok installed"),
    ("libgnutls30", "3.7.9-2+deb12u2", "gnutls28", "install ok installed"),
    ("perl-base", "5.36.0-7+deb12u1", "perl", "install ok installed"),
    ("oldpkg", "1.0-1", "", "deinstall ok config-files"),
]

APK = [("musl", "1.2.4_git20230717-r4", "musl", "MIT"),
       ("busybox", "1.36.1-r15", "busybox", "GPL-2.0-only"),
       ("libcrypto3", "3.1.4-r5", "openssl", "Apache-2.0"),
       ("libssl3", "3.1.4-r5", "openssl", "Apache-2.0"),
       ("zlib", "1.3.1-r0", "zlib", "Zlib"),
       ("apk-tools", "2.14.0-r5", "apk-tools", "GPL-2.0-only")]

RPM = [("bash", "5.1.8", "6.el9", None, "bash-5.1.8-6.el9.src.rpm"),
       ("openssl-libs", "3.0.7", "25.el9", 1, "openssl-3.0.7-25.el9.src.rpm"),
       ("zlib", "1.2.11", "40.el9", None, "zlib-1.2.11-40.el9.src.rpm")]

FAKE_AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"      # AWS's documented example key ID
FAKE_GITHUB_TOKEN = "ghp_" + "A1b2C3d4" * 4 + "E5f6"   # the shape only, never a real one
FAKE_PRIVATE_KEY = ("-----BEGIN OPENSSH " + "PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
                    "-----END OPENSSH PRIVATE KEY-----\n")


def dpkg_status(entries=DPKG) -> bytes:
    out = []
    for name, version, source, status in entries:
        lines = [f"Package: {name}", f"Status: {status}", "Priority: optional",
                 "Architecture: amd64", f"Version: {version}"]
        if source:
            lines.insert(3, f"Source: {source}")
        lines += ["Description: fixture package", " a longer description line"]
        out.append("\n".join(lines) + "\n")
    return "\n".join(out).encode()


def apk_installed(entries=APK) -> bytes:
    return "".join(f"C:Q1fixture=\nP:{n}\nV:{v}\nA:x86_64\nS:1000\nI:2000\nT:fixture\n"
                   f"U:https://alpinelinux.org\nL:{lic}\no:{o}\n\n"
                   for n, v, o, lic in entries).encode()


def rpmdb(entries=RPM) -> bytes:
    from teu.scan.inventory import rpm

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "rpmdb.sqlite")
        c = sqlite3.connect(path)
        c.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT "
                  "NULL)")
        for name, version, release, epoch, srpm in entries:
            tags: dict[int, object] = {rpm.NAME: name, rpm.VERSION: version,
                                       rpm.RELEASE: release, rpm.ARCH: "x86_64",
                                       rpm.SOURCERPM: srpm, rpm.LICENSE: "GPLv3+"}
            if epoch is not None:
                tags[rpm.EPOCH] = epoch
            c.execute("INSERT INTO Packages(blob) VALUES(?)", (rpm.make_header(tags),))
        c.commit()
        c.close()
        with open(path, "rb") as f:
            return f.read()


def python_metadata(name: str, version: str, lic: str = "MIT") -> bytes:
    return (f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nLicense: {lic}\n"
            f"Summary: fixture\n\nA long description.\n").encode()


def package_json(name: str, version: str, lic: str = "MIT") -> bytes:
    return json.dumps({"name": name, "version": version, "license": lic}).encode()


def go_binary() -> str | None:
    """A small real Go binary of this host (Debian-built: its build info names stdlib)."""
    for path in ("/usr/bin/umoci", "/usr/bin/skopeo"):
        if os.path.exists(path):
            return path
    return None


def debian_layers() -> list[dict]:
    base: dict = {
        "etc/os-release": OS_RELEASE_DEBIAN.encode(),
        "etc/debian_version": b"12.5\n",
        "etc/passwd": b"root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n",
        "var/lib/dpkg/status": dpkg_status(),
        "usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA":
            python_metadata("requests", "2.31.0", "Apache 2.0"),
        "usr/local/lib/python3.11/site-packages/Jinja2-3.1.2.dist-info/METADATA":
            python_metadata("Jinja2", "3.1.2", "BSD-3-Clause"),
        "usr/local/lib/python3.11/site-packages/PyYAML-5.3.1.egg-info/PKG-INFO":
            python_metadata("PyYAML", "5.3.1"),
        "usr/local/lib/python3.11/site-packages/urllib3-1.26.5.dist-info/METADATA":
            python_metadata("urllib3", "1.26.5"),
        "app/package.json": package_json("fixture-app", "1.0.0"),
        "app/node_modules/lodash/package.json": package_json("lodash", "4.17.20"),
        "app/node_modules/express/package.json": package_json("express", "4.17.1"),
        "app/node_modules/express/node_modules/debug/package.json":
            package_json("debug", "2.6.9"),
        "app/node_modules/@babel/traverse/package.json":
            package_json("@babel/traverse", "7.22.0"),
        "app/node_modules/minimist/package.json": package_json("minimist", "1.2.5"),
        "app/config/settings.py": f"AWS_KEY = '{FAKE_AWS_KEY}'\n".encode(),
        "root/.ssh/id_rsa": FAKE_PRIVATE_KEY.encode(),
        "app/.env": b"DB_PASSWORD=hunter2\n",
    }
    go = go_binary()
    if go:
        with open(go, "rb") as f:
            base["usr/local/bin/umoci"] = ("file", f.read(), 0o755)
    upper: dict = {
        # Deleted later, still in the image's first layer.
        "root/.ssh/id_rsa": WHITEOUT,
        "usr/local/lib/python3.11/site-packages/urllib3-1.26.5.dist-info": WHITEOUT,
        "app/hello.txt": b"hello\n",
    }
    return [base, upper]


def alpine_layers() -> list[dict]:
    return [{"etc/os-release": OS_RELEASE_ALPINE.encode(), "etc/alpine-release": b"3.19.1\n",
             "lib/apk/db/installed": apk_installed()}]


def rpm_layers() -> list[dict]:
    return [{"etc/os-release": OS_RELEASE_ROCKY.encode(),
             "var/lib/rpm/rpmdb.sqlite": rpmdb()}]


def layer_tar(files: dict) -> bytes:
    buf = io.BytesIO()
    dirs: set[str] = set()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for path in sorted(files):
            parts = path.split("/")
            for i in range(1, len(parts)):
                d = "/".join(parts[:i])
                if d not in dirs:
                    dirs.add(d)
                    info = tarfile.TarInfo(d)
                    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 1700000000
                    t.addfile(info)
            value = files[path]
            if value is WHITEOUT:
                info = tarfile.TarInfo("/".join(parts[:-1] + [".wh." + parts[-1]]))
                info.mtime = 1700000000
                t.addfile(info, io.BytesIO(b""))
                continue
            mode = 0o700 if path.startswith("root/") else 0o644
            if isinstance(value, tuple):
                _, value, mode = value
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(value), mode, 1700000000
            t.addfile(info, io.BytesIO(value))
    return buf.getvalue()


def docker_archive(layers: list[dict], tag: str, config: dict | None = None,
                   history: list[str] | None = None) -> bytes:
    tars = [layer_tar(files) for files in layers]
    diff_ids = ["sha256:" + hashlib.sha256(t).hexdigest() for t in tars]
    hist = history or [f"/bin/sh -c #(nop) ADD layer {i}" for i in range(len(tars))]
    cfg = {"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
           "config": config or {"Cmd": ["/bin/sh"], "Env": ["PATH=/usr/bin:/bin"]},
           "rootfs": {"type": "layers", "diff_ids": diff_ids},
           "history": [{"created": "2024-01-01T00:00:00Z", "created_by": h} for h in hist]}
    raw_cfg = json.dumps(cfg).encode()
    cfg_name = hashlib.sha256(raw_cfg).hexdigest() + ".json"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1700000000
            t.addfile(info, io.BytesIO(data))
        names = []
        for tar, diff in zip(tars, diff_ids, strict=True):
            name = f"{diff[7:]}/layer.tar"
            add(name, tar)
            names.append(name)
        add(cfg_name, raw_cfg)
        add("manifest.json", json.dumps([{"Config": cfg_name, "RepoTags": [tag],
                                          "Layers": names}]).encode())
    return buf.getvalue()


IMAGES = {
    "debian": ("scan-fixture/debian:12", debian_layers,
               {"Cmd": ["/bin/sh"], "Env": ["PATH=/usr/bin:/bin", "API_TOKEN=s3cr3t-value"],
                "ExposedPorts": {"22/tcp": {}, "8080/tcp": {}}},
               ["/bin/sh -c #(nop) ADD file:base in /",
                f"|1 GITHUB_TOKEN={FAKE_GITHUB_TOKEN} /bin/sh -c rm -f /root/.ssh/id_rsa"]),
    "alpine": ("scan-fixture/alpine:3.19", alpine_layers,
               {"Cmd": ["/bin/sh"], "User": "app",
                "Healthcheck": {"Test": ["CMD", "true"]}}, None),
    "rpm": ("scan-fixture/rocky:9", rpm_layers, None, None),
}


def write_all(out_dir: str) -> dict[str, str]:
    """Write every fixture image's archive; returns name -> (archive path)."""
    os.makedirs(out_dir, exist_ok=True)
    out = {}
    for key, (tag, layers, config, history) in IMAGES.items():
        path = os.path.join(out_dir, f"{key}.tar")
        with open(path + ".tmp", "wb") as f:
            f.write(docker_archive(layers(), tag, config, history))
        shutil.move(path + ".tmp", path)
        out[key] = path
    return out


if __name__ == "__main__":
    for k, v in write_all(sys.argv[1]).items():
        print(k, v)
