"""podman, buildah and containerd's ctr push to and pull from `teu registry serve`.

Each tool gets its own storage (podman/buildah --root/--runroot, a containerd
the test starts on a private socket): the host's images are never touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from registry_helpers import (
    RegistryServer,
    busybox_layer,
    run,
    skopeo,
    tar_of_files,
    tools_present,
    verify_store,
    write_oci_layout,
)

pytestmark = pytest.mark.peer


@pytest.fixture
def seeded(tmp_path):
    """A registry holding busybox:v1, pushed by skopeo from a layout built here."""
    layout = tmp_path / "layout"
    digest = write_oci_layout(layout, [busybox_layer(tmp_path),
                                       tar_of_files({"etc/motd": b"teu\n"})], "v1")
    s = RegistryServer(tmp_path / "reg", tmp_path / "reg.log", ["--delete"]).start()
    skopeo("copy", f"oci:{layout}:v1", f"docker://{s.host}/lib/busybox:v1",
           "--dest-tls-verify=false")
    yield s, digest
    s.stop()


@pytest.fixture
def short_dir():
    """A directory with a short path (podman limits runroot to 50 characters)."""
    base = Path(f"/tmp/teu-peer-{os.getpid()}-{time.monotonic_ns() % 10**9}")
    base.mkdir()
    yield base
    subprocess.run(["rm", "-rf", str(base)], timeout=120)


def _storage_flags(base: Path) -> list[str]:
    return ["--root", str(base / "root"), "--runroot", str(base / "run"),
            "--storage-driver", "vfs"]


def _rm_storage(tool: str, base: Path) -> None:
    # vfs layers are plain directories, but unmount anything the tool left first.
    subprocess.run([tool, *_storage_flags(base), "rmi", "--all", "--force"],
                   capture_output=True, timeout=120)
    subprocess.run(["rm", "-rf", str(base)], timeout=120)


@pytest.mark.skipif(not tools_present("podman"), reason="podman not installed")
def test_podman_pull_push(seeded, short_dir):
    server, digest = seeded
    base = short_dir
    flags = _storage_flags(base)
    try:
        run(["podman", *flags, "pull", "--tls-verify=false", f"{server.host}/lib/busybox:v1"])
        run(["podman", *flags, "tag", f"{server.host}/lib/busybox:v1",
             f"{server.host}/podman/pushed:v2"])
        run(["podman", *flags, "push", "--tls-verify=false", f"{server.host}/podman/pushed:v2"])
        status, headers, body = server.get("/v2/podman/pushed/manifests/v2", {
            "Accept": "application/vnd.oci.image.manifest.v1+json,"
                      "application/vnd.docker.distribution.manifest.v2+json"})
        assert status == 200 and len(json.loads(body)["layers"]) == 2
        run(["podman", *flags, "rmi", "--all", "--force"])
        run(["podman", *flags, "pull", "--tls-verify=false", f"{server.host}/podman/pushed:v2"])
    finally:
        _rm_storage("podman", base)
    verify_store(server.root)


@pytest.mark.skipif(not tools_present("buildah"), reason="buildah not installed")
def test_buildah_from_commit_push(seeded, tmp_path, short_dir):
    server, _ = seeded
    base = short_dir
    flags = _storage_flags(base)
    try:
        ctr = run(["buildah", *flags, "from", "--tls-verify=false",
                   f"{server.host}/lib/busybox:v1"]).stdout.strip().splitlines()[-1]
        (tmp_path / "added").write_text("added by buildah\n")
        run(["buildah", *flags, "copy", ctr, str(tmp_path / "added"), "/added"])
        run(["buildah", *flags, "commit", ctr, "built:v1"])
        run(["buildah", *flags, "push", "--tls-verify=false", "built:v1",
             f"docker://{server.host}/buildah/built:v1"])
        info = json.loads(skopeo("inspect", "--tls-verify=false",
                                 f"docker://{server.host}/buildah/built:v1").stdout)
        assert len(info["Layers"]) == 3
        run(["buildah", *flags, "rm", ctr])
    finally:
        _rm_storage("buildah", base)


@pytest.fixture
def containerd(tmp_path):
    if not tools_present("containerd", "ctr"):
        pytest.skip("containerd not installed")
    base = Path(f"/tmp/teu-ctrd-{os.getpid()}-{time.monotonic_ns() % 10**9}")  # socket path limit
    base.mkdir()
    sock = base / "containerd.sock"
    (base / "config.toml").write_text(f"""
version = 2
root = "{base}/root"
state = "{base}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{sock}"
[ttrpc]
  address = "{sock}.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
""")
    log = open(tmp_path / "containerd.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(["containerd", "--config", str(base / "config.toml")],
                            stdout=log, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not sock.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp_path / "containerd.log").read_text()[-2000:])
            time.sleep(0.1)
        yield ["ctr", "--address", str(sock), "--namespace", "teutest"]
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        # containerd may leave its snapshot mounts: unmount what lies under base.
        with open("/proc/self/mounts") as f:
            mounts = [line.split()[1] for line in f if str(base) in line.split()[1]]
        for m in sorted(mounts, key=len, reverse=True):
            subprocess.run(["umount", "-l", m], capture_output=True)
        subprocess.run(["rm", "-rf", str(base)])


def test_ctr_pull_push(seeded, containerd):
    server, digest = seeded
    ctr = containerd
    run([*ctr, "images", "pull", "--plain-http", f"{server.host}/lib/busybox:v1"])
    images = run([*ctr, "images", "ls"]).stdout
    assert digest in images
    run([*ctr, "images", "tag", f"{server.host}/lib/busybox:v1", f"{server.host}/ctr/pushed:v1"])
    run([*ctr, "images", "push", "--plain-http", f"{server.host}/ctr/pushed:v1"])
    status, headers, _ = server.get("/v2/ctr/pushed/manifests/v1")
    assert status == 200 and headers["docker-content-digest"] == digest
    verify_store(server.root)
