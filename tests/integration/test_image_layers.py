"""Layer apply and diff on the real filesystem (root: owners, devices, trusted xattrs, overlay).

Hostile archives are applied inside a sandbox directory; afterwards nothing but
the layer directory may exist in the sandbox, and the host paths they aimed
at must be untouched.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import tarfile

import pytest

from teu.image.apply import apply_layer, clean_name
from teu.image.diff import diff_dirs, diff_overlay
from teu.image.errors import ImageError, LayerError
from teu.image.rootfs import LayeredFS
from teu.image.spec import process_spec
from teu.testing import busybox


def make_tar(entries: list[dict]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            ti = tarfile.TarInfo(e["name"])
            ti.type = e.get("type", tarfile.REGTYPE)
            ti.mode = e.get("mode", 0o644)
            ti.uid, ti.gid = e.get("uid", 0), e.get("gid", 0)
            ti.mtime = e.get("mtime", 1_600_000_000)
            ti.linkname = e.get("link", "")
            ti.devmajor, ti.devminor = e.get("dev", (0, 0))
            if "xattrs" in e:
                ti.pax_headers = {f"SCHILY.xattr.{k}": v for k, v in e["xattrs"].items()}
            data = e.get("data", b"")
            ti.size = len(data) if ti.type == tarfile.REGTYPE else 0
            t.addfile(ti, io.BytesIO(data) if ti.type == tarfile.REGTYPE else None)
    return buf.getvalue()


def apply(tmp_path, entries, overlay=True, dest=None):
    dest = dest or tmp_path / "sandbox" / "layer"
    dest.mkdir(parents=True, exist_ok=True)
    apply_layer(io.BytesIO(make_tar(entries)), str(dest), overlay=overlay)
    return dest


def test_apply_keeps_metadata(tmp_path):
    d = apply(tmp_path, [
        {"name": "bin/", "type": tarfile.DIRTYPE, "mode": 0o755, "mtime": 1_500_000_000},
        {"name": "bin/su", "data": b"#!su", "mode": 0o4755, "uid": 1000, "gid": 1001,
         "mtime": 1_234_567_890},
        {"name": "bin/sh", "type": tarfile.SYMTYPE, "link": "busybox", "uid": 5, "gid": 6},
        {"name": "bin/hard", "type": tarfile.LNKTYPE, "link": "bin/su"},
        {"name": "dev/null", "type": tarfile.CHRTYPE, "mode": 0o666, "dev": (1, 3)},
        {"name": "run/fifo", "type": tarfile.FIFOTYPE, "mode": 0o600},
        {"name": "etc/cap", "data": b"x", "xattrs": {"user.teu": "hello",
                                                      "trusted.teu": "t"}},
        {"name": "tmp/", "type": tarfile.DIRTYPE, "mode": 0o1777},
    ])
    su = os.lstat(d / "bin/su")
    assert stat.S_IMODE(su.st_mode) == 0o4755 and (su.st_uid, su.st_gid) == (1000, 1001)
    assert su.st_mtime == 1_234_567_890 and (d / "bin/su").read_bytes() == b"#!su"
    assert os.readlink(d / "bin/sh") == "busybox"
    assert os.lstat(d / "bin/sh").st_uid == 5
    assert os.lstat(d / "bin/hard").st_ino == su.st_ino and su.st_nlink == 2
    null = os.lstat(d / "dev/null")
    assert stat.S_ISCHR(null.st_mode) and os.major(null.st_rdev) == 1 \
        and os.minor(null.st_rdev) == 3
    assert stat.S_ISFIFO(os.lstat(d / "run/fifo").st_mode)
    assert os.getxattr(d / "etc/cap", "user.teu") == b"hello"
    assert os.getxattr(d / "etc/cap", "trusted.teu") == b"t"
    assert stat.S_IMODE(os.lstat(d / "tmp").st_mode) == 0o1777
    # Directory mtimes are set after their children were made.
    assert os.lstat(d / "bin").st_mtime == 1_500_000_000


def test_overlay_whiteouts(tmp_path):
    d = apply(tmp_path, [
        {"name": "etc/.wh.passwd"},
        {"name": "usr/", "type": tarfile.DIRTYPE, "mode": 0o755},
        {"name": "usr/.wh..wh..opq"},
        {"name": "usr/new", "data": b"n"},
    ])
    wh = os.lstat(d / "etc/passwd")
    assert stat.S_ISCHR(wh.st_mode) and wh.st_rdev == 0
    assert os.getxattr(d / "usr", "trusted.overlay.opaque") == b"y"
    assert not (d / "etc/.wh.passwd").exists() and not (d / "usr/.wh..wh..opq").exists()
    assert (d / "usr/new").read_bytes() == b"n"


def test_merge_whiteouts(tmp_path):
    d = apply(tmp_path, [{"name": "a/keep", "data": b"1"}, {"name": "a/gone", "data": b"2"},
                         {"name": "b/old1", "data": b"3"}, {"name": "b/sub/old2", "data": b"4"},
                         {"name": "c/file", "data": b"5"}], overlay=False)
    apply(tmp_path, [{"name": "a/.wh.gone"}, {"name": "b/", "type": tarfile.DIRTYPE},
                     {"name": "b/.wh..wh..opq"}, {"name": "b/fresh", "data": b"6"},
                     {"name": ".wh.c"}], overlay=False, dest=d)
    assert sorted(os.listdir(d)) == ["a", "b"]
    assert os.listdir(d / "a") == ["keep"]
    assert os.listdir(d / "b") == ["fresh"]


def test_replacing_entries(tmp_path):
    d = apply(tmp_path, [{"name": "x/inner", "data": b"1"}, {"name": "y", "data": b"2"}],
              overlay=False)
    apply(tmp_path, [{"name": "x", "data": b"file now"},
                     {"name": "y/", "type": tarfile.DIRTYPE}, {"name": "y/z", "data": b"3"}],
          overlay=False, dest=d)
    assert (d / "x").read_bytes() == b"file now"
    assert (d / "y/z").read_bytes() == b"3"


def _only_layer_in_sandbox(tmp_path):
    sandbox = tmp_path / "sandbox"
    assert os.listdir(sandbox) == ["layer"], os.listdir(sandbox)


@pytest.mark.parametrize("name", ["../evil", "a/../../evil", "./../evil"])
def test_dotdot_is_refused(tmp_path, name):
    with pytest.raises(LayerError, match="escapes"):
        apply(tmp_path, [{"name": name, "data": b"x"}])
    _only_layer_in_sandbox(tmp_path)
    assert not (tmp_path / "evil").exists()


def test_absolute_paths_are_confined(tmp_path):
    d = apply(tmp_path, [{"name": "/abs/file", "data": b"x"}, {"name": "//double", "data": b"y"}])
    assert (d / "abs/file").read_bytes() == b"x" and (d / "double").read_bytes() == b"y"
    _only_layer_in_sandbox(tmp_path)


def test_writes_through_symlinks_are_confined(tmp_path):
    target = tmp_path / "outside"
    target.mkdir()
    d = apply(tmp_path, [
        {"name": "root", "type": tarfile.SYMTYPE, "link": "/"},
        {"name": "root/etc/teu-evil", "data": b"1"},
        {"name": "up", "type": tarfile.SYMTYPE, "link": "../../../../../.."},
        {"name": "up/teu-evil2", "data": b"2"},
        {"name": "out", "type": tarfile.SYMTYPE, "link": str(target)},
        {"name": "out/teu-evil3", "data": b"3"},
        # The last component is replaced, never followed.
        {"name": "lnk", "type": tarfile.SYMTYPE, "link": str(target / "f")},
        {"name": "lnk", "data": b"4"},
    ])
    assert not os.path.exists("/etc/teu-evil") and not os.path.exists("/teu-evil2")
    assert os.listdir(target) == []
    assert (d / "etc/teu-evil").read_bytes() == b"1"
    assert (d / "teu-evil2").read_bytes() == b"2"
    assert (d / str(target).lstrip("/") / "teu-evil3").read_bytes() == b"3"
    assert not os.path.islink(d / "lnk") and (d / "lnk").read_bytes() == b"4"
    _only_layer_in_sandbox(tmp_path)


@pytest.mark.parametrize("link", ["../../../etc/passwd", "/etc/passwd", "missing"])
def test_hard_links_outside_are_refused(tmp_path, link):
    with pytest.raises(LayerError, match="hard link"):
        apply(tmp_path, [{"name": "pw", "type": tarfile.LNKTYPE, "link": link}])
    _only_layer_in_sandbox(tmp_path)
    assert os.stat("/etc/passwd").st_nlink == 1


def test_symlink_loops_and_bad_whiteouts(tmp_path):
    with pytest.raises(LayerError):
        apply(tmp_path, [{"name": "a", "type": tarfile.SYMTYPE, "link": "b"},
                         {"name": "b", "type": tarfile.SYMTYPE, "link": "a"},
                         {"name": "a/x", "data": b"1"}])
    with pytest.raises(LayerError):
        apply(tmp_path, [{"name": "d/.wh..", "data": b""}])
    assert clean_name("./a//b/./c") == ("a", "b", "c")


def test_garbage_is_a_layer_error(tmp_path):
    with pytest.raises(LayerError):
        apply_layer(io.BytesIO(b"not a tar at all" * 100), str(tmp_path / "x"))


def _tree(root):
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            rel = os.path.relpath(p, root)
            content = (os.readlink(p) if stat.S_ISLNK(st.st_mode) else
                       open(p, "rb").read() if stat.S_ISREG(st.st_mode) else None)
            out[rel] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid,
                        st.st_gid, content)
    return out


def test_diff_then_apply_reproduces_the_tree(tmp_path):
    parent = tmp_path / "parent"
    busybox.make_rootfs(str(parent))
    (parent / "etc/motd").write_text("old")
    (parent / "gone-dir/sub").mkdir(parents=True)
    (parent / "gone-dir/sub/f").write_text("x")
    (parent / "becomes-dir").write_text("file")
    current = tmp_path / "current"
    shutil.copytree(parent, current, symlinks=True)
    (current / "etc/motd").write_text("new, longer")
    (current / "etc/added").write_text("added")
    os.chmod(current / "etc/added", 0o600)
    os.chown(current / "etc/added", 1000, 1000)
    shutil.rmtree(current / "gone-dir")
    os.unlink(current / "bin/ls")
    (current / "becomes-dir").unlink()
    (current / "becomes-dir").mkdir()
    (current / "becomes-dir/inside").write_text("i")
    os.unlink(current / "bin/cat")
    os.symlink("/bin/true", current / "bin/cat")
    os.link(current / "etc/added", current / "etc/hardlink")
    os.chmod(current / "tmp", 0o755)
    buf = io.BytesIO()
    result = diff_dirs(str(parent), str(current), buf)
    names = tarfile.open(fileobj=io.BytesIO(buf.getvalue())).getnames()
    assert ".wh.gone-dir" in names and "bin/.wh.ls" in names
    assert "etc/passwd" not in names  # unchanged files stay out
    assert names.index("etc") < names.index("etc/added")
    members = {m.name: m for m in tarfile.open(fileobj=io.BytesIO(buf.getvalue()))}
    assert members["etc/hardlink"].islnk() or members["etc/added"].islnk()
    assert result.size == len(buf.getvalue()) and result.entries == len(names)
    applied = tmp_path / "applied"
    shutil.copytree(parent, applied, symlinks=True)
    apply_layer(io.BytesIO(buf.getvalue()), str(applied), overlay=False)
    assert _tree(applied) == _tree(current)
    # From nothing: the whole tree.
    full = io.BytesIO()
    diff_dirs(None, str(current), full)
    fresh = tmp_path / "fresh"
    apply_layer(io.BytesIO(full.getvalue()), str(fresh), overlay=False)
    assert _tree(fresh) == _tree(current)


def test_diff_overlay_upper(tmp_path):
    upper = tmp_path / "upper"
    (upper / "etc").mkdir(parents=True)
    os.mknod(upper / "etc/passwd", stat.S_IFCHR, 0)
    (upper / "var").mkdir()
    os.setxattr(upper / "var", "trusted.overlay.opaque", b"y")
    (upper / "var/new").write_text("n")
    buf = io.BytesIO()
    diff_overlay(str(upper), buf)
    names = tarfile.open(fileobj=io.BytesIO(buf.getvalue())).getnames()
    assert names == ["etc", "etc/.wh.passwd", "var", "var/.wh..wh..opq", "var/new"]
    # Applied overlay-style, the same upper comes back.
    back = tmp_path / "back"
    apply_layer(io.BytesIO(buf.getvalue()), str(back), overlay=True)
    assert stat.S_ISCHR(os.lstat(back / "etc/passwd").st_mode)
    assert os.getxattr(back / "var", "trusted.overlay.opaque") == b"y"


def test_overlay_mount_of_applied_layers(tmp_path):
    """The store's layer directories really work as overlayfs lower dirs."""
    low = apply(tmp_path, [{"name": "etc/passwd", "data": b"root"},
                           {"name": "data/old", "data": b"o"}, {"name": "keep", "data": b"k"}])
    high = tmp_path / "high"
    apply(tmp_path, [{"name": "etc/.wh.passwd"}, {"name": "data/", "type": tarfile.DIRTYPE},
                     {"name": "data/.wh..wh..opq"}, {"name": "data/new", "data": b"n"}],
          dest=high)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    script = (f"mount -t overlay overlay -o lowerdir={high}:{low} {mnt} && "
              f"ls -A {mnt} {mnt}/etc {mnt}/data")
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == [f"{mnt}:", "data", "etc", "keep", f"{mnt}/data:", "new",
                                f"{mnt}/etc:"]


def test_layered_fs_lookup(tmp_path):
    a = apply(tmp_path, [{"name": "private/etc/passwd", "data": b"a"},
                         {"name": "etc", "type": tarfile.SYMTYPE, "link": "/private/etc"},
                         {"name": "opt/x", "data": b"x"}, {"name": "gone", "data": b"g"}])
    b = tmp_path / "b"
    apply(tmp_path, [{"name": "opt/", "type": tarfile.DIRTYPE}, {"name": "opt/.wh..wh..opq"},
                     {"name": ".wh.gone"}, {"name": "esc", "type": tarfile.SYMTYPE,
                                            "link": "../../../../etc/hostname"}], dest=b)
    fs = LayeredFS([str(a), str(b)])
    assert fs.read("/etc/passwd") == b"a"
    assert fs.read("/opt/x") is None and fs.read("/gone") is None
    assert fs.read("/esc") is None  # resolves to the image's /etc/hostname, absent


def test_process_spec_from_busybox(tmp_path):
    root = tmp_path / "rootfs"
    busybox.make_rootfs(str(root))
    cfg = {"config": {"Entrypoint": ["/bin/sh", "-c"], "Cmd": ["echo hi"],
                      "Env": ["PATH=/bin", "A=1"], "WorkingDir": "/srv", "User": "user",
                      "ExposedPorts": {"80/tcp": {}}, "Volumes": {"/data": {}},
                      "StopSignal": "SIGQUIT", "Healthcheck": {"Test": ["CMD", "true"]}}}
    p = process_spec(cfg, [str(root)])
    assert p.args == ["/bin/sh", "-c", "echo hi"]
    assert (p.uid, p.gid, p.additional_gids) == (1000, 1000, [10])  # wheel lists user
    assert "HOME=/home/user" in p.env and "PATH=/bin" in p.env and "A=1" in p.env
    assert p.cwd == "/srv" and p.exposed_ports == {"80/tcp": {}} and p.volumes == ["/data"]
    assert p.stop_signal == "SIGQUIT" and p.healthcheck == {"Test": ["CMD", "true"]}
    assert p.to_runtime()["user"] == {"uid": 1000, "gid": 1000, "additionalGids": [10]}
    q = process_spec(cfg, [str(root)], args=["ls"], entrypoint=[], env=["A=2"], user="0:wheel")
    assert q.args == ["ls"] and (q.uid, q.gid, q.additional_gids) == (0, 10, [])
    assert "A=2" in q.env and "HOME=/root" in q.env
    r = process_spec({"config": {"Cmd": ["sh"]}}, [str(root)], user="4242:4343")
    assert (r.uid, r.gid) == (4242, 4343) and "HOME=/" in r.env
    assert any(e.startswith("PATH=/usr/local/sbin") for e in r.env)
    with pytest.raises(ImageError, match="unable to find user nosuch"):
        process_spec(cfg, [str(root)], user="nosuch")
    with pytest.raises(ImageError, match="unable to find group nogrp"):
        process_spec(cfg, [str(root)], user="user:nogrp")
    with pytest.raises(ImageError, match="no command"):
        process_spec({"config": {}}, [str(root)])
