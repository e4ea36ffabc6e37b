"""Containers from real store images: many layers (past mount(2)'s option limit), whiteouts,
the copying fallback (vfs), and --pull from a registry on loopback."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile

import pytest
from tests.integration.engine_helpers import IMAGE, private_teu
from tests.integration.registry_helpers import RegistryServer

pytestmark = pytest.mark.root


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path)


def _tar(entries: list[tuple[str, bytes | None]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                t.addfile(info)
            else:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def layered_archive(base: bytes, n: int, out, tag: str) -> None:  # noqa: ANN001
    """A docker-archive: the busybox rootfs, then n tiny layers; the last one deletes
    /etc/group (a whiteout) and empties /home (an opaque directory)."""
    layers = [base]
    for i in range(n):
        layers.append(_tar([("layers/", None), (f"layers/{i}", str(i).encode())]))
    layers.append(_tar([("etc/", None), ("etc/.wh.group", b""), ("home/", None),
                        ("home/.wh..wh..opq", b""), ("home/new", b"x")]))
    diff_ids = ["sha256:" + hashlib.sha256(x).hexdigest() for x in layers]
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Cmd": ["sh"], "Env": ["PATH=/bin:/usr/bin"]},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    cname = hashlib.sha256(config).hexdigest() + ".json"
    names = [f"{d[7:]}/layer.tar" for d in diff_ids]
    manifest = json.dumps([{"Config": cname, "RepoTags": [tag], "Layers": names}]).encode()
    with tarfile.open(out, "w") as t:
        for name, data in [(cname, config), *zip(names, layers, strict=True),
                           ("manifest.json", manifest)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))


def test_many_layers_and_whiteouts(teu, tmp_path) -> None:
    from tests.integration.engine_helpers import busybox_tar

    archive = tmp_path / "many.tar"
    layered_archive(busybox_tar(tmp_path), 150, archive, "many:layers")
    teu.ok("load", "-q", "-i", str(archive))
    lowers = json.loads(teu.ok("image", "inspect", "many:layers"))[0]["RootFS"]["Layers"]
    assert len(lowers) == 152
    out = teu.ok("run", "--rm", "many:layers", "sh", "-c",
                 "ls /layers | wc -l; cat /layers/149; echo; ls /etc/group 2>&1; ls /home")
    lines = out.split("\n")
    assert lines[0].strip() == "150" and lines[1] == "149"
    assert "No such file" in lines[2] and lines[3] == "new"


def test_short_links_fallback_without_lowerdir_plus(teu, tmp_path, monkeypatch) -> None:
    """Kernels before 6.8 have no `lowerdir+`: 150 layers then go through short symlinks."""
    import errno

    from tests.integration.engine_helpers import busybox_tar

    from teu.api.runargs import to_options
    from teu.engine.context import Engine
    from teu.engine.forked import in_child
    from teu.engine.lifecycle.run import run
    from teu.engine.storage import rootfs

    archive = tmp_path / "many.tar"
    layered_archive(busybox_tar(tmp_path), 150, archive, "many:layers")
    teu.ok("load", "-q", "-i", str(archive))

    def no_new_api(*_args: object) -> None:
        raise OSError(errno.EINVAL, "no lowerdir+ here")

    monkeypatch.setattr(rootfs, "_mount_new_api", no_new_api)
    # in a fork of this process, which has the patch (teu.api's fork server has not)
    opts = {**to_options({"image": "many:layers", "command": "cat /layers/7"}, "run"),
            "rm": True}
    (_, code), out, _ = in_child(lambda: run(Engine(str(teu.root), str(teu.runroot)), opts),
                                 capture=True)
    assert code == 0 and out == b"7"
    assert len(list((teu.runroot / "l").iterdir())) == 153  # 152 layers + the init layer


def test_vfs_copy_fallback(teu) -> None:
    env = {**teu.env, "TEU_STORAGE_DRIVER": "vfs"}
    teu.ok("run", "--name", "vf", IMAGE, "sh", "-c", "echo kept > /keep; rm /etc/group",
           env=env)
    info = teu.inspect("vf")
    assert info["Driver"] == "vfs"
    rootfs = teu.root / "containers" / info["Id"] / "rootfs"
    assert (rootfs / "keep").read_text() == "kept\n" and (rootfs / "bin" / "busybox").exists()
    assert teu("start", "-a", "vf").returncode == 1  # the same copy: /etc/group is gone
    assert teu.ok("run", "--rm", IMAGE, "cat", "/etc/group", env=env).startswith("root:")
    assert teu("diff", "vf").returncode == 1
    teu.ok("rm", "vf")


def test_pull_policies_from_a_loopback_registry(teu, tmp_path) -> None:
    reg = RegistryServer(tmp_path / "registry", tmp_path / "registry.log").start()
    try:
        ref = f"{reg.host}/lib/busybox:1"
        teu.ok("tag", IMAGE, ref)
        teu.ok("push", ref)
        teu.ok("rmi", ref)
        p = teu("run", "--rm", "--pull", "never", ref, "true")
        assert p.returncode == 125 and "No such image" in p.stderr
        p = teu("run", "--rm", ref, "echo", "pulled")
        assert p.returncode == 0 and p.stdout == "pulled\n"
        assert f"Unable to find image '{ref}' locally" in p.stderr
        p = teu("run", "--rm", "--pull", "always", ref, "echo", "again")
        assert p.stdout == "again\n"
        reg.stop()
        p = teu("run", "--rm", "--pull", "always", ref, "true")
        assert p.returncode == 125
        assert teu("run", "--rm", ref, "true").returncode == 0  # present: no pull
    finally:
        reg.stop()
