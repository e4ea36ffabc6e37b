"""teu pull/push/login against real registries: Debian's docker-registry (CNCF distribution
2.8, with and without htpasswd) and teu's own (token auth), images put there by skopeo,
and what teu pushed read back by skopeo, umoci and podman. Bad input: corrupt and
truncated blobs, wrong digests, diff-ID mismatch, registry down, kill -9 mid-pull."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from image_helpers import Distribution, blob_path, push_layout, teu
from image_proxy import FaultProxy
from registry_helpers import (
    TEU,
    RegistryServer,
    busybox_layer,
    free_port,
    run,
    sha256,
    skopeo,
    tar_of_files,
    tools_present,
    verify_store,
    write_oci_layout,
)

from teu.registry.server.htpasswd import bcrypt_entry

pytestmark = [pytest.mark.peer,
              pytest.mark.skipif(not tools_present("skopeo", "docker-registry"),
                                 reason="skopeo and docker-registry are needed")]


@pytest.fixture(scope="module")
def bb(tmp_path_factory) -> bytes:
    return busybox_layer(tmp_path_factory.mktemp("bb"))


@pytest.fixture
def layout(tmp_path, bb):
    path = tmp_path / "layout"
    digest = write_oci_layout(path, [bb, tar_of_files({"etc/hello": b"hello from teu\n"})], "v1",
                              cmd=["/bin/sh", "-c", "cat /etc/hello"])
    return path, digest


@pytest.fixture
def dist(tmp_path):
    d = Distribution(tmp_path / "dist").start()
    yield d
    d.stop()


def images(root: Path) -> list[str]:
    return teu(root, "images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()


def blob_gets(log: Path) -> int:
    return sum(1 for line in log.read_text().splitlines()
               if '"GET /v2/' in line and "/blobs/" in line)


def test_pull_what_skopeo_pushed(tmp_path, dist, layout):
    path, digest = layout
    push_layout(path, "v1", f"{dist.host}/lib/bb:v1")
    root = tmp_path / "root"
    p = teu(root, "pull", f"{dist.host}/lib/bb:v1")
    assert p.stdout.splitlines()[-1] == f"{dist.host}/lib/bb:v1"
    assert f"Digest: {digest}" in p.stdout and "Downloaded newer image" in p.stdout
    assert images(root) == [f"{dist.host}/lib/bb:v1"]
    info = json.loads(teu(root, "image", "inspect", f"{dist.host}/lib/bb:v1").stdout)[0]
    assert info["RepoDigests"] == [f"{dist.host}/lib/bb@{digest}"]
    assert info["Config"]["Cmd"] == ["/bin/sh", "-c", "cat /etc/hello"]
    assert len(info["RootFS"]["Layers"]) == 2 and info["Os"] == "linux"
    lowers = info["GraphDriver"]["Data"]["LowerDir"].split(":")
    assert (Path(lowers[0]) / "etc/hello").read_text() == "hello from teu\n"
    assert (Path(lowers[1]) / "bin/busybox").exists()
    assert verify_store(root) == 4  # manifest, config, two layers
    # Again: nothing is downloaded, and the answer says so.
    before = blob_gets(dist.log)
    p = teu(root, "pull", f"{dist.host}/lib/bb:v1")
    assert "Image is up to date" in p.stdout and "Already exists" in p.stdout
    assert blob_gets(dist.log) == before
    # By digest, quietly: only the name is printed.
    p = teu(root, "pull", "-q", f"{dist.host}/lib/bb@{digest}")
    assert p.stdout == f"{dist.host}/lib/bb@{digest}\n"


def test_docker_schema2_and_zstd_layers(tmp_path, dist, layout):
    path, _ = layout
    push_layout(path, "v1", f"{dist.host}/d/s2:v1", "--format", "v2s2")
    zpath = tmp_path / "zstd"
    shutil.copytree(path, zpath)
    _recompress_zstd(zpath)
    push_layout(zpath, "v1", f"{dist.host}/z/std:v1")
    root = tmp_path / "root"
    teu(root, "pull", f"{dist.host}/d/s2:v1")
    s2 = json.loads(teu(root, "image", "inspect", f"{dist.host}/d/s2:v1").stdout)[0]
    assert s2["Descriptor"]["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    teu(root, "pull", f"{dist.host}/z/std:v1")
    z = json.loads(teu(root, "image", "inspect", f"{dist.host}/z/std:v1").stdout)[0]
    # Same content, other compression: same image ID (the config's digest), and the
    # image now keeps the manifest it was last pulled with, zstd layers and all.
    assert z["Id"] == s2["Id"] and z["RootFS"] == s2["RootFS"]
    assert z["Descriptor"]["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert len(z["RepoDigests"]) == 2
    manifest = json.loads(skopeo("inspect", "--raw", "--tls-verify=false",
                                 f"docker://{dist.host}/z/std:v1").stdout)
    assert all(lay["mediaType"].endswith("+zstd") for lay in manifest["layers"])


def _recompress_zstd(layout: Path) -> None:
    """Rewrite an OCI layout's gzip layers as zstd (new manifest; same config)."""
    import zstandard

    index = json.loads((layout / "index.json").read_text())
    blobs = layout / "blobs/sha256"
    manifest = json.loads((blobs / index["manifests"][0]["digest"][7:]).read_text())
    for lay in manifest["layers"]:
        tar = gzip.decompress((blobs / lay["digest"][7:]).read_bytes())
        z = zstandard.ZstdCompressor().compress(tar)
        (blobs / sha256(z)[7:]).write_bytes(z)
        lay.update(mediaType="application/vnd.oci.image.layer.v1.tar+zstd", digest=sha256(z),
                   size=len(z))
    raw = json.dumps(manifest).encode()
    (blobs / sha256(raw)[7:]).write_bytes(raw)
    index["manifests"][0].update(digest=sha256(raw), size=len(raw))
    (layout / "index.json").write_text(json.dumps(index))


def _platform_layout(path: Path, bb: bytes) -> dict[str, str]:
    """An OCI layout whose tag is an index of an amd64 and an arm64 image."""
    blobs = path / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(data: bytes) -> dict:
        (blobs / sha256(data)[7:]).write_bytes(data)
        return {"digest": sha256(data), "size": len(data)}

    layer = gzip.compress(bb, 1, mtime=0)
    ldesc = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **put(layer)}
    entries, ids = [], {}
    for arch in ("amd64", "arm64"):
        cfg = json.dumps({"architecture": arch, "os": "linux",
                          "config": {"Cmd": ["sh"], "Labels": {"arch": arch}},
                          "rootfs": {"type": "layers", "diff_ids": [sha256(bb)]}}).encode()
        cdesc = put(cfg)
        ids[arch] = cdesc["digest"]
        m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **cdesc},
                        "layers": [ldesc]}).encode()
        entries.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", **put(m),
                        "platform": {"os": "linux", "architecture": arch}})
    index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": entries}).encode()
    idesc = put(index)
    (path / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (path / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.index.v1+json", **idesc,
         "annotations": {"org.opencontainers.image.ref.name": "multi"}}]}))
    ids["index"] = idesc["digest"]
    return ids


def test_index_and_platform_choice(tmp_path, dist, bb):
    ids = _platform_layout(tmp_path / "multi", bb)
    skopeo("copy", "--all", "--dest-tls-verify=false", f"oci:{tmp_path / 'multi'}:multi",
           f"docker://{dist.host}/m/img:multi")
    root = tmp_path / "root"
    p = teu(root, "pull", f"{dist.host}/m/img:multi")
    assert f"Digest: {ids['index']}" in p.stdout
    info = json.loads(teu(root, "image", "inspect", f"{dist.host}/m/img:multi").stdout)[0]
    assert info["Id"] == ids["amd64"] and info["Architecture"] == "amd64"
    assert info["RepoDigests"] == [f"{dist.host}/m/img@{ids['index']}"]
    teu(root, "pull", "--platform", "linux/arm64", f"{dist.host}/m/img:multi")
    info = json.loads(teu(root, "image", "inspect", f"{dist.host}/m/img:multi").stdout)[0]
    assert info["Id"] == ids["arm64"] and info["Config"]["Labels"] == {"arch": "arm64"}
    p = teu(root, "pull", "--platform", "linux/s390x", f"{dist.host}/m/img:multi", check=False)
    assert p.returncode == 1 and "no manifest for platform linux/s390x" in p.stderr
    assert "Traceback" not in p.stderr


def test_push_read_back_by_skopeo_umoci_podman(tmp_path, dist, bb):
    root = tmp_path / "root"
    rootfs_tar = tmp_path / "rootfs.tar"
    rootfs_tar.write_bytes(bb)
    teu(root, "import", "-c", "CMD [\"/bin/busybox\", \"echo\", \"pushed by teu\"]",
        str(rootfs_tar), "local/bb:1")
    p = teu(root, "push", "local/bb:1", f"{dist.host}/teu/bb:1")
    last = p.stdout.splitlines()[-1]
    assert last.startswith("1: digest: sha256:") and "size: " in last
    digest = last.split()[2]
    info = json.loads(skopeo("inspect", "--tls-verify=false", f"docker://{dist.host}/teu/bb:1").stdout)
    assert info["Digest"] == digest
    out = tmp_path / "back"
    skopeo("copy", "--src-tls-verify=false", f"docker://{dist.host}/teu/bb:1", f"oci:{out}:1")
    run(["umoci", "unpack", "--image", f"{out}:1", str(tmp_path / "bundle")])
    assert (tmp_path / "bundle/rootfs/bin/busybox").exists()
    cfg = json.loads((tmp_path / "bundle/config.json").read_text())
    assert cfg["process"]["args"] == ["/bin/busybox", "echo", "pushed by teu"]
    # podman insists on a short runroot.
    proot = Path(tempfile.mkdtemp(prefix="teu-pm-", dir="/tmp"))
    base = ["podman", "--root", str(proot / "root"), "--runroot", str(proot / "run"),
            "--storage-driver", "vfs"]
    try:
        run([*base, "pull", "--tls-verify=false", f"{dist.host}/teu/bb:1"])
        got = run([*base, "image", "inspect", "--format", "{{.Digest}}",
                   f"{dist.host}/teu/bb:1"]).stdout.strip()
        assert got == digest
    finally:
        run([*base, "rmi", "-af"], check=False)
        shutil.rmtree(proot, ignore_errors=True)


def test_push_skip_mount_and_chunked(tmp_path, dist, layout):
    path, digest = layout
    push_layout(path, "v1", f"{dist.host}/lib/bb:v1")
    root = tmp_path / "root"
    teu(root, "pull", f"{dist.host}/lib/bb:v1")
    # Same repository: every blob is already there.
    p = teu(root, "push", f"{dist.host}/lib/bb:v1")
    assert p.stdout.count("Layer already exists") == 2 and digest in p.stdout
    # Another repository of the same registry: mounted, not uploaded.
    p = teu(root, "push", f"{dist.host}/lib/bb:v1", f"{dist.host}/other/bb:v2")
    assert p.stdout.count("Mounted from lib/bb") == 2
    # A fresh registry: uploaded in 64 KiB chunks (PATCH), then verified by skopeo.
    d2 = Distribution(tmp_path / "dist2").start()
    try:
        p = teu(root, "push", "--chunk-size", "65536", f"{dist.host}/lib/bb:v1",
                f"{d2.host}/chunked/bb:v1")
        assert p.stdout.count("Pushed") == 2
        assert sum('"PATCH /v2/chunked/bb/blobs/uploads/' in line
                   for line in d2.log.read_text().splitlines()) > 10
        info = json.loads(skopeo("inspect", "--tls-verify=false",
                                 f"docker://{d2.host}/chunked/bb:v1").stdout)
        assert info["Digest"] == digest
        skopeo("copy", "--src-tls-verify=false", f"docker://{d2.host}/chunked/bb:v1",
               f"oci:{tmp_path / 'chk'}:v1")  # skopeo verifies every blob
    finally:
        d2.stop()


def _creds_env(tmp_path: Path) -> dict:
    return {"DOCKER_CONFIG": str(tmp_path / "docker"), "REGISTRY_AUTH_FILE": "",
            "XDG_RUNTIME_DIR": str(tmp_path / "xdg"), "HOME": str(tmp_path / "home")}


def test_htpasswd_auth_login_logout(tmp_path, layout):
    path, _ = layout
    htp = tmp_path / "htpasswd"
    htp.write_text(bcrypt_entry("alice", "wonderland", rounds=5) + "\n")
    d = Distribution(tmp_path / "dist", htpasswd=htp).start()
    try:
        skopeo("copy", "--dest-tls-verify=false", "--dest-creds", "alice:wonderland",
               f"oci:{path}:v1", f"docker://{d.host}/sec/bb:v1")
        root = tmp_path / "root"
        env = _creds_env(tmp_path)
        p = teu(root, "pull", f"{d.host}/sec/bb:v1", check=False, env=env)
        assert p.returncode == 1 and "authentication required" in p.stderr
        p = teu(root, "login", "-u", "alice", "-p", "nope", d.host, check=False, env=env)
        assert p.returncode == 1 and "incorrect username or password" in p.stderr
        assert not (tmp_path / "docker/config.json").exists()
        teu(root, "login", "-u", "alice", "--password-stdin", d.host, env=env,
            input="wonderland\n")
        cfg = json.loads((tmp_path / "docker/config.json").read_text())
        assert d.host in cfg["auths"]
        assert teu(root, "login", "--get-login", d.host, env=env).stdout.strip() == "alice"
        teu(root, "pull", f"{d.host}/sec/bb:v1", env=env)
        teu(root, "push", f"{d.host}/sec/bb:v1", f"{d.host}/sec/copy:v2", env=env)
        skopeo("inspect", "--tls-verify=false", "--creds", "alice:wonderland",
               f"docker://{d.host}/sec/copy:v2")
        teu(root, "logout", d.host, env=env)
        assert d.host not in json.loads((tmp_path / "docker/config.json").read_text())["auths"]
        teu(root, "rmi", f"{d.host}/sec/bb:v1", env=env)
        p = teu(root, "pull", f"{d.host}/sec/bb:v1", check=False, env=env)
        assert p.returncode == 1
        # --creds works without a stored login.
        teu(root, "pull", "--creds", "alice:wonderland", f"{d.host}/sec/bb:v1", env=env)
    finally:
        d.stop()


def test_bearer_tokens_with_teu_registry(tmp_path, layout):
    path, _ = layout
    htp = tmp_path / "htpasswd"
    htp.write_text(bcrypt_entry("bob", "builder", rounds=5) + "\n")
    cfg = tmp_path / "reg.toml"
    cfg.write_text(f"""[auth]
htpasswd = "{htp}"
[auth.token]
service = "teu-test"
[[auth.token.access]]
account = "bob"
repository = "*"
actions = ["pull", "push"]
""")
    server = RegistryServer(tmp_path / "reg", tmp_path / "reg.log", ["--config", str(cfg)]).start()
    try:
        skopeo("copy", "--dest-tls-verify=false", "--dest-creds", "bob:builder",
               f"oci:{path}:v1", f"docker://{server.host}/team/bb:v1")
        from teu.image.store import Store
        from teu.registry.client.pull import pull
        from teu.registry.client.push import push
        from teu.registry.client.remote import Registry

        with Store(str(tmp_path / "root")) as st:
            reg = Registry(server.host, credentials=("bob", "builder"))
            r = pull(st, f"{server.host}/team/bb:v1", registry=reg)
            assert r.new and reg.auth.kind == "bearer"
            # One token served the ping, the manifest and both layers.
            assert reg.auth.token_requests == 1
            reg2 = Registry(server.host, credentials=("bob", "builder"))
            push(st, f"{server.host}/team/bb:v1", f"{server.host}/team/copy:v1", registry=reg2)
            # Push needs pull+push on the target and pull on the mount source: two tokens,
            # then reused for every blob.
            assert reg2.auth.token_requests <= 3
            bad = Registry(server.host, credentials=("bob", "wrong"))
            with pytest.raises(Exception, match="incorrect username or password"):
                pull(st, f"{server.host}/team/bb:v1", registry=bad)
        p = teu(tmp_path / "root2", "pull", f"{server.host}/team/bb:v1", check=False,
                env=_creds_env(tmp_path))
        assert p.returncode == 1 and "team/bb" in p.stderr
    finally:
        server.stop()


def test_corrupt_blob_and_manifest(tmp_path, dist, layout):
    path, digest = layout
    push_layout(path, "v1", f"{dist.host}/lib/bb:v1")
    manifest = json.loads((path / "blobs/sha256" / digest[7:]).read_text())
    small = min(manifest["layers"], key=lambda lay: lay["size"])["digest"]
    f = blob_path(dist.root, small)
    good = f.read_bytes()
    f.write_bytes(bytes([good[0] ^ 1]) + good[1:])
    root = tmp_path / "root"
    p = teu(root, "pull", f"{dist.host}/lib/bb:v1", check=False)
    assert p.returncode == 1 and "digest mismatch" in p.stderr and small in p.stderr
    assert "lib/bb:v1" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert images(root) == []
    assert not (root / "blobs/sha256" / small[7:]).exists()
    assert not list((root / "ingest").glob(f"{small[7:]}*"))
    f.write_bytes(good)
    # The manifest as stored by the registry, changed: its digest no longer matches.
    mf = blob_path(dist.root, digest)
    doc = json.loads(mf.read_text())
    doc["annotations"] = {"evil": "yes"}
    mf.write_text(json.dumps(doc))
    p = teu(root, "pull", f"{dist.host}/lib/bb@{digest}", check=False)
    assert p.returncode == 1 and "digest mismatch" in p.stderr
    assert images(root) == []


def test_diff_id_mismatch(tmp_path, dist, bb):
    lay = tmp_path / "bad"
    write_oci_layout(lay, [bb], "v1")
    index = json.loads((lay / "index.json").read_text())
    mdg = index["manifests"][0]["digest"][7:]
    manifest = json.loads((lay / "blobs/sha256" / mdg).read_text())
    cfg = json.loads((lay / "blobs/sha256" / manifest["config"]["digest"][7:]).read_text())
    cfg["rootfs"]["diff_ids"] = [sha256(b"not this layer")]
    raw = json.dumps(cfg).encode()
    (lay / "blobs/sha256" / sha256(raw)[7:]).write_bytes(raw)
    manifest["config"].update(digest=sha256(raw), size=len(raw))
    mraw = json.dumps(manifest).encode()
    (lay / "blobs/sha256" / sha256(mraw)[7:]).write_bytes(mraw)
    index["manifests"][0].update(digest=sha256(mraw), size=len(mraw))
    (lay / "index.json").write_text(json.dumps(index))
    push_layout(lay, "v1", f"{dist.host}/bad/diffid:v1")
    root = tmp_path / "root"
    p = teu(root, "pull", f"{dist.host}/bad/diffid:v1", check=False)
    assert p.returncode == 1 and "diff ID mismatch" in p.stderr and "bad/diffid" in p.stderr
    assert images(root) == []
    assert not [n for n in os.listdir(root / "layers") if len(n) == 64]


def test_truncated_downloads_then_resume(tmp_path, dist, bb):
    lay = tmp_path / "big"
    big = tar_of_files({"big.bin": os.urandom(3_000_000)})
    write_oci_layout(lay, [big], "v1")
    push_layout(lay, "v1", f"{dist.host}/big/img:v1")
    proxy = FaultProxy(dist.host).start()
    try:
        proxy.mode = "truncate"
        proxy.limit = 1_000_000
        root = tmp_path / "root"
        p = teu(root, "pull", f"{proxy.host}/big/img:v1", check=False)
        assert p.returncode == 1 and "truncated" in p.stderr and "big/img:v1" in p.stderr
        assert images(root) == []
        # Each retry resumed where the last stopped (ranges), so the partial grew.
        assert proxy.ranges()
        proxy.mode = "pass"
        teu(root, "pull", f"{proxy.host}/big/img:v1")
        assert images(root) == [f"{proxy.host}/big/img:v1"]
        assert proxy.ranges()[-1].startswith("bytes=") and proxy.ranges()[-1] != "bytes=0-"
        assert verify_store(root) == 3
    finally:
        proxy.stop()


def test_corrupted_in_flight(tmp_path, dist, layout):
    path, _ = layout
    push_layout(path, "v1", f"{dist.host}/lib/bb:v1")
    proxy = FaultProxy(dist.host).start()
    try:
        proxy.mode = "corrupt"
        root = tmp_path / "root"
        p = teu(root, "pull", f"{proxy.host}/lib/bb:v1", check=False)
        assert p.returncode == 1 and "digest mismatch" in p.stderr
        assert images(root) == [] and verify_store(root) == 0
    finally:
        proxy.stop()


def test_kill9_during_pull_then_resume(tmp_path, dist):
    lay = tmp_path / "big"
    size = 24_000_000
    write_oci_layout(lay, [tar_of_files({"big.bin": os.urandom(size)})], "v1")
    push_layout(lay, "v1", f"{dist.host}/big/img:v1")
    proxy = FaultProxy(dist.host).start()
    root = tmp_path / "root"
    try:
        proxy.mode = "slow"
        proxy.rate = 4_000_000
        env = dict(os.environ)
        env.pop("TEU_ROOT", None)
        proc = subprocess.Popen([TEU, "pull", "--root", str(root), f"{proxy.host}/big/img:v1"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 60
        partial = None
        while time.monotonic() < deadline:
            parts = list((root / "ingest").glob("*.partial")) if (root / "ingest").exists() else []
            if parts and parts[0].stat().st_size > 4_000_000:
                partial = parts[0]
                break
            time.sleep(0.05)
        assert partial is not None, "the pull did not get going"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        got = partial.stat().st_size
        assert 4_000_000 < got < size
        assert images(root) == []
        proxy.mode = "pass"
        teu(root, "pull", f"{proxy.host}/big/img:v1")
        resumed = [r for r in proxy.ranges() if r != "bytes=0-"]
        assert resumed and int(resumed[-1][6:].rstrip("-")) >= got - 1_100_000
        assert images(root) == [f"{proxy.host}/big/img:v1"]
        assert verify_store(root) == 3
    finally:
        proxy.stop()


def test_registry_down_unknown_and_tls(tmp_path, dist, layout):
    root = tmp_path / "root"
    port = free_port()
    p = teu(root, "pull", f"127.0.0.1:{port}/x/y:z", check=False)
    assert p.returncode == 1 and "unreachable" in p.stderr and "x/y:z" in p.stderr
    assert "Traceback" not in p.stderr
    p = teu(root, "pull", f"{dist.host}/no/such:tag", check=False)
    assert p.returncode == 1
    # docker: "Error response from daemon: manifest for ..." (teu has no daemon)
    assert p.stderr.strip() == (f"Error: manifest for {dist.host}/no/such:tag not found: "
                                "manifest unknown: manifest unknown")
    p = teu(root, "pull", "UPPER/Case", check=False)
    assert p.returncode == 1 and "must be lowercase" in p.stderr
    # A plain-HTTP registry with TLS verification demanded: refused.
    path, _ = layout
    push_layout(path, "v1", f"{dist.host}/lib/bb:v1")
    p = teu(root, "pull", "--tls-verify=true", f"{dist.host}/lib/bb:v1", check=False)
    assert p.returncode == 1 and "unreachable" in p.stderr
    teu(root, "pull", "--tls-verify=false", f"{dist.host}/lib/bb:v1")
    p = teu(root, "rmi", "nosuch:image", check=False)
    assert p.returncode == 1 and "No such image: nosuch:image" in p.stderr


def test_concurrent_pulls_share_the_store(tmp_path, dist, layout):
    path, _ = layout
    push_layout(path, "v1", f"{dist.host}/lib/bb:v1")
    push_layout(path, "v1", f"{dist.host}/lib/bb2:v1")
    root = tmp_path / "root"
    env = dict(os.environ)
    env.pop("TEU_ROOT", None)
    procs = [subprocess.Popen([TEU, "pull", "-q", "--root", str(root), f"{dist.host}/{n}:v1"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
             for n in ("lib/bb", "lib/bb2", "lib/bb")]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert sorted(images(root)) == [f"{dist.host}/lib/bb2:v1", f"{dist.host}/lib/bb:v1"]
    assert verify_store(root) == 4
    assert len([n for n in os.listdir(root / "layers") if len(n) == 64]) == 2


def test_rmi_gc_and_prune(tmp_path, dist, bb):
    base = tmp_path / "a"
    write_oci_layout(base, [bb, tar_of_files({"a": b"a"})], "v1")
    other = tmp_path / "b"
    write_oci_layout(other, [bb, tar_of_files({"b": b"b"})], "v1")
    push_layout(base, "v1", f"{dist.host}/img/a:v1")
    push_layout(other, "v1", f"{dist.host}/img/b:v1")
    root = tmp_path / "root"
    teu(root, "pull", f"{dist.host}/img/a:v1")
    teu(root, "pull", f"{dist.host}/img/b:v1")
    assert len(list((root / "layers").glob("[0-9a-f]" * 1 + "*"))) == 3  # busybox shared
    teu(root, "tag", f"{dist.host}/img/a:v1", "also/a:latest")
    p = teu(root, "rmi", f"{dist.host}/img/a:v1")
    # still tagged also/a; the repository's digest reference goes with its last tag (docker)
    assert p.stdout.strip().splitlines() == [f"Untagged: {dist.host}/img/a:v1",
                                             f"Untagged: {dist.host}/img/a@{p.stdout.split('@')[1].strip()}"]
    assert p.stdout.split("@")[1].startswith("sha256:")
    a_id = json.loads(teu(root, "image", "inspect", "also/a").stdout)[0]["Id"]
    teu(root, "tag", "also/a", "third/a:x")
    p = teu(root, "rmi", a_id[7:19], check=False)
    assert p.returncode == 1 and "referenced in multiple repositories" in p.stderr
    p = teu(root, "rmi", "-f", a_id[7:19])
    assert f"Deleted: {a_id}" in p.stdout
    layers = [n for n in os.listdir(root / "layers") if len(n) == 64]
    assert len(layers) == 2  # busybox still used by img/b
    assert verify_store(root) == 4
    teu(root, "tag", f"{dist.host}/img/b:v1", "dangling/b:x")
    teu(root, "rmi", "dangling/b:x")
    p = teu(root, "image", "prune", "-a", "-f")
    assert "deleted: sha256:" in p.stdout and "Total reclaimed space" in p.stdout
    assert images(root) == [] and verify_store(root) == 0
    assert not [n for n in os.listdir(root / "layers") if not n.startswith(".")]


def test_python_api(tmp_path, dist, layout):
    from teu.api import images as api

    path, digest = layout
    push_layout(path, "v1", f"{dist.host}/api/bb:v1")
    root = str(tmp_path / "root")
    r = api.pull(f"{dist.host}/api/bb:v1", root=root)
    assert r["Digest"] == digest and r["New"]
    assert [i["RepoTags"] for i in api.list_images(root=root)] == [[f"{dist.host}/api/bb:v1"]]
    assert api.inspect(f"{dist.host}/api/bb:v1", root=root)["Id"] == r["Id"]
    assert api.tag(r["Id"], "api/x:1", root=root) == r["Id"]
    pushed = api.push("api/x:1", f"{dist.host}/api/copy:1", root=root)
    assert pushed["Digest"] == digest and pushed["Mounted"] == 3  # config too
    assert len(api.history("api/x:1", root=root)) == 2
    out = tmp_path / "saved.tar"
    api.save(["api/x:1"], str(out), root=root)
    assert api.remove("api/x:1", root=root) == ["Untagged: api/x:1"]
    assert api.prune(all=True, root=root)["ImagesDeleted"]
    assert api.load(str(out), root=root)[0]["Names"] == ["docker.io/api/x:1"]
    with pytest.raises(Exception, match="No such image"):
        api.inspect("nope", root=root)
    assert hashlib.sha256(b"").hexdigest()  # hashlib used by helpers; keeps ruff quiet


def test_docker_manifest_list(tmp_path, dist, bb):
    _platform_layout(tmp_path / "multi", bb)
    skopeo("copy", "--all", "--format", "v2s2", "--dest-tls-verify=false",
           f"oci:{tmp_path / 'multi'}:multi", f"docker://{dist.host}/m/list:v1")
    raw = json.loads(skopeo("inspect", "--raw", "--tls-verify=false",
                            f"docker://{dist.host}/m/list:v1").stdout)
    assert raw["mediaType"] == "application/vnd.docker.distribution.manifest.list.v2+json"
    root = tmp_path / "root"
    teu(root, "pull", "--platform", "linux/arm64", f"{dist.host}/m/list:v1")
    info = json.loads(teu(root, "image", "inspect", f"{dist.host}/m/list:v1").stdout)[0]
    assert info["Architecture"] == "arm64"
    assert info["Descriptor"]["mediaType"] == \
        "application/vnd.docker.distribution.manifest.v2+json"


def test_tls_verification(tmp_path, layout):
    path, digest = layout
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
         "-out", str(cert)])
    s = RegistryServer(tmp_path / "reg", tmp_path / "log",
                       ["--tls-cert", str(cert), "--tls-key", str(key)], scheme="https").start()
    try:
        skopeo("copy", "--dest-tls-verify=false", f"oci:{path}:v1",
               f"docker://{s.host}/secure/img:v1")
        root = tmp_path / "root"
        # Loopback: HTTPS without verification is allowed (docker's insecure default).
        teu(root, "pull", f"{s.host}/secure/img:v1")
        p = teu(root, "pull", "--tls-verify=true", f"{s.host}/secure/img:v1", check=False)
        assert p.returncode == 1 and "certificate verification failed" in p.stderr
        # Trusting the certificate makes verification pass.
        teu(root, "pull", "--tls-verify=true", f"{s.host}/secure/img:v1",
            env={"SSL_CERT_FILE": str(cert)})
        p = teu(root, "push", "--tls-verify=true", f"{s.host}/secure/img:v1",
                f"{s.host}/secure/copy:v1", env={"SSL_CERT_FILE": str(cert)})
        assert digest in p.stdout
    finally:
        s.stop()


def test_full_disk(tmp_path, dist):
    """ENOSPC mid-pull: one line naming the image, and a store the next command can use."""
    lay = tmp_path / "big"
    write_oci_layout(lay, [tar_of_files({"big.bin": os.urandom(12_000_000)})], "v1")
    push_layout(lay, "v1", f"{dist.host}/big/img:v1")
    small = tmp_path / "small"
    small.mkdir()
    env = dict(os.environ)
    env.pop("TEU_ROOT", None)
    script = f"""set -u
mount -t tmpfs -o size=8m tmpfs {small}
{TEU} pull --root {small}/root {dist.host}/big/img:v1
echo "rc=$?"
{TEU} images --root {small}/root --format '{{{{.Repository}}}}'
echo "images-rc=$?"
rm -rf {small}/root/ingest
{TEU} image prune -f --root {small}/root >/dev/null
echo "prune-rc=$?"
"""
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                       capture_output=True, text=True, timeout=120, env=env)
    err = [line for line in p.stderr.splitlines() if line]
    assert "rc=1" in p.stdout, p.stdout + p.stderr
    assert len(err) == 1 and "No space left on device" in err[0] and "big/img" in err[0], err
    assert "images-rc=0" in p.stdout and "prune-rc=0" in p.stdout
    assert p.stdout.split("rc=1")[1].split("images-rc")[0].strip() == ""  # nothing listed
    assert not os.listdir(small)  # the tmpfs went with the namespace


def test_tty_progress(tmp_path, dist, layout):
    """On a terminal the layer lines are redrawn in place, like docker's."""
    import pty

    path, _ = layout
    push_layout(path, "v1", f"{dist.host}/lib/bb:v1")
    env = dict(os.environ)
    env.pop("TEU_ROOT", None)
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.execvpe(TEU, [TEU, "pull", "--root", str(tmp_path / "root"),
                         f"{dist.host}/lib/bb:v1"], env)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    text = out.decode()
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert "\x1b[2K" in text and "\x1b[2A" in text  # cleared and redrawn in place
    assert "Pull complete" in text and "Status: Downloaded newer image" in text


def test_redirected_blobs_do_not_get_credentials(tmp_path, layout):
    """Blob GETs redirected to another host (a storage backend's URL) are followed,
    and the registry's credentials are not sent there."""
    import base64

    path, digest = layout
    htp = tmp_path / "htpasswd"
    htp.write_text(bcrypt_entry("alice", "wonderland", rounds=5) + "\n")
    d = Distribution(tmp_path / "dist", htpasswd=htp).start()
    proxy = FaultProxy(d.host).start()
    try:
        skopeo("copy", "--dest-tls-verify=false", "--dest-creds", "alice:wonderland",
               f"oci:{path}:v1", f"docker://{d.host}/sec/bb:v1")
        proxy.mode = "redirect"
        proxy.direct_auth = "Basic " + base64.b64encode(b"alice:wonderland").decode()
        root = tmp_path / "root"
        p = teu(root, "pull", "--creds", "alice:wonderland", f"{proxy.host}/sec/bb:v1",
                env=_creds_env(tmp_path))
        assert f"Digest: {digest}" in p.stdout
        assert len(proxy.direct_seen_auth) == 3  # config and two layers, via the redirect
        assert proxy.direct_seen_auth == [None, None, None]
        assert verify_store(root) == 4
    finally:
        proxy.stop()
        d.stop()


def test_rmi_of_a_pushed_tag_takes_the_repository_digest_along(tmp_path, dist, bb):
    """docker: `rmi REPO:TAG` after `push REPO:TAG` untags REPO:TAG and REPO@sha256:...
    (the repository's digest references go with its last tag): no `REPO <none>` left."""
    root = tmp_path / "root"
    (tmp_path / "rootfs.tar").write_bytes(bb)
    teu(root, "import", str(tmp_path / "rootfs.tar"), "local/bb:1")
    repo = f"{dist.host}/teu/bb"
    teu(root, "tag", "local/bb:1", f"{repo}:1")
    teu(root, "tag", "local/bb:1", f"{repo}:2")
    digest = teu(root, "push", f"{repo}:1").stdout.splitlines()[-1].split()[2]
    assert f"{repo}@{digest}" in teu(root, "image", "inspect", "--format",
                                     "{{json .RepoDigests}}", "local/bb:1").stdout
    # another tag of the repository keeps the digest reference
    assert teu(root, "rmi", f"{repo}:2").stdout.splitlines() == [f"Untagged: {repo}:2"]
    assert teu(root, "rmi", f"{repo}:1").stdout.splitlines() == [
        f"Untagged: {repo}:1", f"Untagged: {repo}@{digest}"]
    listed = teu(root, "images", "--format", "{{.Repository}} {{.Tag}}").stdout.splitlines()
    assert listed == ["local/bb 1"]
