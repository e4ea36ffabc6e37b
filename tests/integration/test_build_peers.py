"""Differential tests: the same Dockerfiles and contexts built by teu, `buildah bud --layers`
and `docker build` with BuildKit (Debian's dockerd 20.10, started here with
--iptables=false --bridge=none in a temporary data root and its own socket); the image
configs (the keys docker writes) and the file trees (paths, types, modes, owners,
contents, link targets) must be equal.

The Dockerfiles keep to what BuildKit 0.8 (embedded in dockerd 20.10, whose Dockerfile
frontend cannot be upgraded here: `# syntax=` would fetch an image) supports: no
heredocs, no --chmod or --link.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from tests.integration.engine_helpers import IMAGE, busybox_tar, private_teu

from teu.testing.dockerd import Dockerd

pytestmark = pytest.mark.root

KEYS = ("Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Volumes", "Labels",
        "StopSignal")

DOCKERFILE = """\
FROM busybox AS build
WORKDIR /src
COPY src/ ./
RUN mkdir -p /out && cat a.txt b.txt > /out/joined && ln -s joined /out/link \\
 && chmod 0751 /out/joined && dd if=/dev/zero of=/out/zeros bs=1k count=64 2>/dev/null \\
 && rm -f /etc/group
FROM busybox
ENV APP=/app MODE="two words"
LABEL org.example.name=demo version=1
WORKDIR /app
COPY --from=build /out/ ./out/
COPY --chown=user:user src/a.txt ./owned.txt
COPY src/*.txt /globbed/
RUN echo built > /app/built && mkdir -p /var/empty-dir && chown 1000:1000 /var/empty-dir \\
 && rm /bin/vi
USER user
EXPOSE 8080 53/udp
VOLUME /data
STOPSIGNAL SIGINT
ENTRYPOINT ["cat"]
CMD ["/app/built"]
"""


@pytest.fixture(scope="module")
def teu(tmp_path_factory):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path_factory.mktemp("peers"))


@pytest.fixture(scope="module")
def context(tmp_path_factory) -> Path:  # noqa: ANN001
    ctx = tmp_path_factory.mktemp("ctx")
    (ctx / "src").mkdir()
    (ctx / "src" / "a.txt").write_text("alpha\n")
    (ctx / "src" / "b.txt").write_text("beta\n")
    os.chmod(ctx / "src" / "b.txt", 0o600)
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    (ctx / ".dockerignore").write_text("*.md\n")
    (ctx / "README.md").write_text("ignored\n")
    return ctx


def flatten(archive: bytes) -> dict[str, tuple]:
    """A docker-archive tar (manifest.json + layer tars) as {path: (type, mode, uid, gid,
    content or link target)} after applying the layers and their whiteouts."""
    outer = tarfile.open(fileobj=io.BytesIO(archive))
    manifest = json.load(outer.extractfile("manifest.json"))[0]
    tree: dict[str, tuple] = {}
    for layer in manifest["Layers"]:
        data = outer.extractfile(layer).read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            for m in t.getmembers():
                name = m.name.lstrip("./").rstrip("/")
                base = os.path.basename(name)
                parent = os.path.dirname(name)
                if base == ".wh..wh..opq":
                    for k in [k for k in tree if k.startswith(parent + "/")]:
                        del tree[k]
                    continue
                if base.startswith(".wh."):
                    gone = os.path.join(parent, base[4:])
                    for k in [k for k in tree if k == gone or k.startswith(gone + "/")]:
                        del tree[k]
                    continue
                if not name:
                    continue
                if m.isdir():
                    entry = ("dir", m.mode & 0o7777, m.uid, m.gid, "")
                elif m.issym():
                    entry = ("link", 0, m.uid, m.gid, m.linkname)
                elif m.islnk():
                    entry = tree.get(m.linkname.lstrip("./"), ("file", 0, 0, 0, b""))
                else:
                    entry = ("file", m.mode & 0o7777, m.uid, m.gid, t.extractfile(m).read())
                if entry[0] != "dir" and name in tree and tree[name][0] == "dir":
                    for k in [k for k in tree if k.startswith(name + "/")]:
                        del tree[k]
                tree[name] = entry
    return tree


def config_of(raw: dict) -> dict:
    cc = dict(raw.get("config") or raw.get("Config") or {})
    labels = {k: v for k, v in (cc.get("Labels") or {}).items()
              if k != "io.buildah.version"}  # buildah signs its images with its version
    cc["Labels"] = labels
    return {k: cc.get(k) or None for k in KEYS}


class Buildah:
    def __init__(self, top: Path, tarball: Path) -> None:
        self.base = ["--root", str(top / "root"), "--runroot", str(top / "run"),
                     "--storage-driver", "overlay"]
        self.top = top
        conf = top / "containers.conf"
        conf.write_text('[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n'
                        '[containers]\ndefault_ulimits = ["nofile=20000:20000", '
                        '"nproc=32768:32768"]\n')
        self.env = {**os.environ, "CONTAINERS_CONF": str(conf)}
        subprocess.run(["podman", *self.base, "--runtime", "runc", "import", str(tarball),
                        "localhost/busybox"], check=True, capture_output=True, env=self.env)

    def build(self, ctx: Path, tag: str) -> tuple[dict, bytes]:
        p = subprocess.run(["buildah", *self.base, "bud", "--layers", "--runtime", "runc",
                            "--network", "none", "-t", tag, str(ctx)], capture_output=True,
                           text=True, timeout=300, env=self.env)
        assert p.returncode == 0, p.stderr
        out = self.top / f"{tag.replace(':', '_').replace('/', '_')}.tar"
        subprocess.run(["buildah", *self.base, "push", "-q", tag, f"docker-archive:{out}:{tag}"],
                       check=True, capture_output=True, env=self.env)
        info = json.loads(subprocess.run(["buildah", *self.base, "inspect", "--type", "image",
                                          tag], check=True, capture_output=True,
                                         env=self.env).stdout)
        raw = json.loads(info["Config"])
        return raw, out.read_bytes()

    def stop(self) -> None:
        subprocess.run(["buildah", *self.base, "rm", "--all"], capture_output=True, env=self.env)
        subprocess.run(["umount", "-R", "-l", str(self.top / "root")], capture_output=True)


class Docker(Dockerd):
    """teu.testing.dockerd's private dockerd, building with BuildKit."""

    def __init__(self, top: Path, tarball: Path) -> None:
        try:
            super().__init__(str(tarball), "busybox:latest")
        except RuntimeError as e:
            pytest.fail(str(e))
        self.env["DOCKER_BUILDKIT"] = "1"

    def docker(self, *args: str, check: bool = True,
               input: bytes | None = None) -> subprocess.CompletedProcess:
        try:
            return super().docker(*args, check=check, input=input)
        except RuntimeError as e:
            raise AssertionError(str(e)) from None

    def build(self, ctx: Path, tag: str) -> tuple[dict, bytes]:
        self.docker("build", "--network", "none", "-t", tag, str(ctx))
        archive = self.docker("save", tag).stdout
        outer = tarfile.open(fileobj=io.BytesIO(archive))
        manifest = json.load(outer.extractfile("manifest.json"))[0]
        raw = json.load(outer.extractfile(manifest["Config"]))
        return raw, archive


def teu_result(teu, ctx: Path, tag: str) -> tuple[dict, bytes]:  # noqa: ANN001
    p = teu("build", "-t", tag, str(ctx), timeout=300)
    assert p.returncode == 0, p.stderr
    image_id = teu.inspect(tag)["Id"]
    raw = json.loads((teu.root / "blobs" / "sha256" / image_id.partition(":")[2]).read_bytes())
    out = teu.top / f"{tag.replace(':', '_')}.tar"
    teu.ok("save", "-o", str(out), tag)
    return raw, out.read_bytes()


def _tarball(tmp_path_factory) -> Path:  # noqa: ANN001
    d = tmp_path_factory.mktemp("busybox")
    path = d / "busybox.tar"
    path.write_bytes(busybox_tar(d))
    return path


@pytest.mark.skipif(not shutil.which("buildah"), reason="buildah is not installed")
def test_same_config_and_tree_as_buildah(teu, context, tmp_path_factory) -> None:
    peer = Buildah(tmp_path_factory.mktemp("buildah"), _tarball(tmp_path_factory))
    try:
        theirs_cfg, theirs_tar = peer.build(context, "localhost/diff:1")
    finally:
        peer.stop()
    ours_cfg, ours_tar = teu_result(teu, context, "diff:buildah")
    assert config_of(ours_cfg) == config_of(theirs_cfg)
    theirs = flatten(theirs_tar)
    # buildah 1.28 leaves RUN's empty /etc/hostname mount point in the layer (BuildKit and
    # teu remove such mount stubs).
    if theirs.get("etc/hostname", ("",))[-1] == b"":
        del theirs["etc/hostname"]
    assert_same_tree(flatten(ours_tar), theirs)


@pytest.mark.skipif(not os.path.exists("/usr/sbin/dockerd"), reason="docker.io is not installed")
def test_same_config_and_tree_as_docker_buildkit(teu, context, tmp_path_factory) -> None:
    peer = Docker(tmp_path_factory.mktemp("docker"), _tarball(tmp_path_factory))
    try:
        theirs_cfg, theirs_tar = peer.build(context, "diff:1")
    finally:
        peer.stop()
    ours_cfg, ours_tar = teu_result(teu, context, "diff:docker")
    assert config_of(ours_cfg) == config_of(theirs_cfg)
    assert_same_tree(flatten(ours_tar), flatten(theirs_tar))
    ours_hist = [h["created_by"] for h in ours_cfg["history"]
                 if h.get("comment") == "buildkit.dockerfile.v0"]
    theirs_hist = [h["created_by"] for h in theirs_cfg["history"]
                   if h.get("comment") == "buildkit.dockerfile.v0"]
    # BuildKit 0.8 wrote COPY's created_by without its --chown and EXPOSE's ports as a Go
    # map; today's BuildKit (and teu) keep the flag and write a list.
    import re

    ours_hist = [re.sub(r" --chown=\S+", "", h) for h in ours_hist]
    theirs_hist = [re.sub(r"^EXPOSE map\[(.*)\]$",
                          lambda m: "EXPOSE [" + m.group(1).replace(":{}", "") + "]", h)
                   for h in theirs_hist]
    assert ours_hist == theirs_hist


def assert_same_tree(ours: dict, theirs: dict) -> None:
    assert IMAGE
    only_ours = sorted(set(ours) - set(theirs))
    only_theirs = sorted(set(theirs) - set(ours))
    assert not only_ours and not only_theirs, (only_ours, only_theirs)
    differ = {k: (ours[k], theirs[k]) for k in ours if ours[k] != theirs[k]}
    assert not differ, differ
