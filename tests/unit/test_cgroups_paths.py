"""cgroupsPath rules and the parsing of mountinfo and /proc/self/cgroup (no kernel needed)."""

from __future__ import annotations

import pytest

from teu.runtime.cgroups import CgroupError, paths
from teu.runtime.cgroups.mounts import Mount, own_path, parse_mountinfo, parse_proc_cgroup

HYBRID_MOUNTINFO = """\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
50 23 0:29 / /mnt/other\\040cpu rw,relatime - cgroup cgroup rw,cpu
"""


@pytest.mark.parametrize("given, want", [
    ("/a/b", "/a/b"),
    ("/a//b/", "/a/b"),
    ("a/./b", "a/b"),
    ("", "/teu/ctr1"),
    ("machine/ctr", "machine/ctr"),
])
def test_inner_path(given: str, want: str) -> None:
    assert paths.inner_path(given, "ctr1") == want


@pytest.mark.parametrize("bad", ["/a/../b", "..", "../x", "/", ".", "/./", "a\0b"])
def test_inner_path_refuses(bad: str) -> None:
    with pytest.raises(CgroupError):
        paths.inner_path(bad, "ctr1")


def test_systemd_form_needs_the_flag() -> None:
    with pytest.raises(CgroupError, match="needs --systemd-cgroup"):
        paths.inner_path("system.slice:teu:abc", "abc")


def test_systemd_flag_without_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "systemd_running", lambda: False)
    with pytest.raises(CgroupError, match="needs systemd"):
        paths.inner_path("system.slice:teu:abc", "abc", systemd=True)


def test_systemd_flag_with_systemd_is_not_implemented(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "systemd_running", lambda: True)
    with pytest.raises(CgroupError, match="not implemented"):
        paths.inner_path("system.slice:teu:abc", "abc", systemd=True)


def test_colons_with_a_slash_are_a_plain_path() -> None:
    assert paths.inner_path("/a:b:c/d", "x") == "/a:b:c/d"


@pytest.mark.parametrize("base, inner, want", [
    ("/", "/teu/x", "/teu/x"),
    ("/process_api/h", "/teu/x", "/teu/x"),
    ("/process_api/h", "teu/x", "/process_api/h/teu/x"),
    ("/", "teu/x", "/teu/x"),
])
def test_join(base: str, inner: str, want: str) -> None:
    assert paths.join(base, inner) == want


def test_expand_slice() -> None:
    assert paths.expand_slice("system.slice") == "/system.slice"
    assert paths.expand_slice("a-b-c.slice") == "/a.slice/a-b.slice/a-b-c.slice"
    assert paths.expand_slice("-.slice") == "/"
    for bad in ("a--b.slice", "-a.slice", "a.scope", "a/b.slice"):
        with pytest.raises(CgroupError):
            paths.expand_slice(bad)


def test_systemd_path() -> None:
    assert paths.systemd_path("machine.slice:teu:abc", "abc") == "/machine.slice/teu-abc.scope"
    assert paths.systemd_path(":teu:abc", "abc") == "/system.slice/teu-abc.scope"
    assert paths.systemd_path("user-1000.slice::x.slice", "abc") == \
        "/user.slice/user-1000.slice/x.slice"


def test_parse_mountinfo_hybrid() -> None:
    found = parse_mountinfo(HYBRID_MOUNTINFO)
    assert [(m.mountpoint, m.controllers, m.v2) for m in found] == [
        ("/sys/fs/cgroup/cpu", ("cpu",), False),
        ("/sys/fs/cgroup/cpuacct", ("cpuacct",), False),
        ("/sys/fs/cgroup/memory", ("memory",), False),
        ("/sys/fs/cgroup/systemd", ("name=systemd",), False),
        ("/sys/fs/cgroup/unified", (), True),
    ]


def test_parse_mountinfo_comounted_and_escaped() -> None:
    text = ("1 0 0:1 / /x/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
            "2 0 0:2 / /x/my\\040dir rw - cgroup cgroup rw,pids\n")
    found = parse_mountinfo(text, under="/x")
    assert found[0].controllers == ("cpu", "cpuacct")
    assert found[1].mountpoint == "/x/my dir"


def test_parse_mountinfo_v2_only() -> None:
    text = "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n"
    (m,) = parse_mountinfo(text)
    assert m.v2 and m.mountpoint == "/sys/fs/cgroup"


def test_parse_proc_cgroup() -> None:
    own = parse_proc_cgroup("4:memory:/process_api/h\n3:cpu,cpuacct:/\n1:name=systemd:/x\n0::/u\n")
    assert own == {"memory": "/process_api/h", "cpu": "/", "cpuacct": "/",
                   "name=systemd": "/x", "unified": "/u"}


def test_own_path_strips_the_mount_root() -> None:
    # A hierarchy mounted from a sub-cgroup (as inside a container without cgroupns).
    mount = Mount("/sys/fs/cgroup/memory", "/docker/abc", ("memory",), False)
    assert own_path(mount, {"memory": "/docker/abc/inner"}) == "/inner"
    assert own_path(mount, {"memory": "/docker/abc"}) == "/"
    assert own_path(Mount("/u", "/", (), True), {"unified": "/a"}) == "/a"
