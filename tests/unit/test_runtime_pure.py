"""Pure pieces of the runtime: mount options, path resolution, flags, signals, capabilities."""

import os
import signal

import pytest

from teu.runtime import capabilities
from teu.runtime import linux as L
from teu.runtime.cli.kill import parse_signal
from teu.runtime.cli.main import UsageError, parse_flags
from teu.runtime.mount_options import MountOptionError, parse
from teu.runtime.rootfs import resolve_in_root
from teu.runtime.state import StateError, check_id


def test_mount_options_split_into_flags_propagation_and_data():
    o = parse(["nosuid", "noexec", "rbind", "ro", "rslave", "mode=755", "size=64k"])
    assert o.flags == L.MS_NOSUID | L.MS_NOEXEC | L.MS_BIND | L.MS_REC | L.MS_RDONLY
    assert o.propagation == [L.MS_SLAVE | L.MS_REC]
    assert o.data == "mode=755,size=64k"


def test_mount_options_later_wins_and_extensions():
    assert parse(["ro", "rw"]).flags == 0
    assert "tmpcopyup" in parse(["tmpcopyup"]).extensions
    with pytest.raises(MountOptionError, match="idmap"):
        parse(["idmap"])


def test_resolve_in_root_confines_symlinks(tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    os.symlink("/etc", root / "abs")
    os.symlink("../../../../etc", root / "rel")
    os.symlink("/", root / "top")
    assert resolve_in_root(str(root), "/abs/passwd") == str(root / "etc" / "passwd")
    assert resolve_in_root(str(root), "/rel/passwd") == str(root / "etc" / "passwd")
    assert resolve_in_root(str(root), "/../../x") == str(root / "x")
    assert resolve_in_root(str(root), "/top/../..") == str(root)
    assert resolve_in_root(str(root), "/new/dir") == str(root / "new" / "dir")


def test_resolve_in_root_stops_symlink_loops(tmp_path):
    os.symlink("loop", tmp_path / "loop")
    with pytest.raises(Exception, match="too many levels"):
        resolve_in_root(str(tmp_path), "/loop/x")


def test_flags_runc_grammar():
    spec = {"bundle": (True, False), "detach": (False, False), "env": (True, True)}
    flags, pos = parse_flags(["-b", "/x", "--detach", "--env=A=1", "-env", "B=2", "id", "sh",
                              "-c", "x"], spec, {"b": "bundle", "d": "detach"})
    assert flags == {"bundle": "/x", "detach": True, "env": ["A=1", "B=2"]}
    assert pos == ["id", "sh", "-c", "x"]
    with pytest.raises(UsageError, match="not defined"):
        parse_flags(["--nope"], spec)
    with pytest.raises(UsageError, match="needs an argument"):
        parse_flags(["--bundle"], spec)


def test_signals_by_name_and_number():
    assert parse_signal("KILL") == signal.SIGKILL
    assert parse_signal("sigterm") == signal.SIGTERM
    assert parse_signal("9") == 9
    assert parse_signal("0") == 0  # an existence probe, as runc allows (kill ct 0)
    for bad in ("NOPE", "-1", "999"):
        with pytest.raises(UsageError):
            parse_signal(bad)


def test_container_ids():
    check_id("abc_1.2-3+x")
    for bad in ("", "..", "a/b", "a b"):
        with pytest.raises(StateError):
            check_id(bad)


def test_capability_masks_ignore_unknown_names():
    known = 40
    assert capabilities.mask(["CAP_CHOWN", "CAP_KILL", "CAP_FUTURE"], known) == (1 | 1 << 5)
    assert capabilities.mask(["chown"], known) == 1
    assert capabilities.mask(["CAP_CHECKPOINT_RESTORE"], 39) == 0


class Recorder:
    """A Syscalls that records prctl calls: the seam unit tests use."""

    def __init__(self, held):
        self.calls = []
        self.held = held

    def prctl(self, option, a2=0, a3=0, a4=0, a5=0):
        self.calls.append((option, a2))
        return 1 if option == L.PR_CAPBSET_READ else 0

    def capget(self):
        return self.held, self.held, 0

    def capset(self, e, p, i):
        self.calls.append(("capset", e, p, i))


def test_capabilities_never_exceed_what_the_runtime_holds():
    rec = Recorder(held=0b111)
    capabilities.apply_sets(rec, {"effective": ["CAP_CHOWN", "CAP_FOWNER"],
                                  "permitted": ["CAP_CHOWN", "CAP_FOWNER"]}, 40)
    assert ("capset", 1, 1, 0) in rec.calls  # CAP_FOWNER (3) is not held


def test_bounding_drops_everything_not_kept():
    rec = Recorder(held=0)
    capabilities.drop_bounding(rec, keep=1 << 5, known=6)
    dropped = [a for op, a in rec.calls if op == L.PR_CAPBSET_DROP]
    assert dropped == [0, 1, 2, 3, 4, 6]


def test_fastjson_matches_json():
    import json

    from teu import fastjson

    for text in ['{"a": [1, 2.5, true, null, "x\\u00e9"], "b": {}}', " [] ", "3", '"s"']:
        assert fastjson.loads(text) == json.loads(text)
        assert json.loads(fastjson.dumps(fastjson.loads(text))) == json.loads(text)
    for bad in ["{ nope", "{} x", "", "[1,]"]:
        with pytest.raises(ValueError):
            fastjson.loads(bad)


def test_state_file_keeps_the_last_whole_line(tmp_path):
    from teu.runtime.state import ContainerState

    st = ContainerState(str(tmp_path), "c1")
    st.claim()
    st.data = {"pid": 1}
    st.save()
    st.data = {"pid": 2, "ready": True}
    st.save()
    assert ContainerState(str(tmp_path), "c1").load().data == {"pid": 2, "ready": True}
    with open(st.state_file, "ab") as f:
        f.write(b'{"pid": 3, "rea')  # a crash mid-write
    assert ContainerState(str(tmp_path), "c1").load().data["pid"] == 2


def test_bounding_without_setpcap_fails_only_for_a_capability_still_held():
    class NoSetpcap(Recorder):
        def __init__(self, bounding):
            super().__init__(held=0)
            self.bounding = bounding

        def prctl(self, option, a2=0, a3=0, a4=0, a5=0):
            if option == L.PR_CAPBSET_DROP:
                raise PermissionError(1, "prctl(24): Operation not permitted")
            return 1 if self.bounding & (1 << a2) else 0

    capabilities.drop_bounding(NoSetpcap(bounding=1 << 5), keep=1 << 5, known=6)
    with pytest.raises(PermissionError):
        capabilities.drop_bounding(NoSetpcap(bounding=1 << 2 | 1 << 5), keep=1 << 5, known=6)
