"""linux.seccomp: name tables, validation, and the filter libseccomp builds (never loaded here)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from teu.errors import TeuError
from teu.runtime import seccomp as sc

ALLOW = {"defaultAction": "SCMP_ACT_ALLOW"}

SPEC_ACTIONS = ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",
                "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"]
SPEC_OPERATORS = ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
                  "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"]


def have_libseccomp() -> bool:
    try:
        sc._libseccomp()
    except sc.SeccompError:
        return False
    return True


needs_lib = pytest.mark.skipif(not have_libseccomp(), reason="libseccomp.so.2 not installed")


def profile(*rules: dict, **top) -> dict:
    return {"defaultAction": "SCMP_ACT_ALLOW", **top, "syscalls": list(rules)}


def errors(seccomp: object) -> str:
    with pytest.raises(sc.SeccompError) as info:
        sc.parse(seccomp)  # type: ignore[arg-type]
    return str(info.value)


# --- tables -----------------------------------------------------------------------

def test_tables_cover_the_spec_names() -> None:
    assert sorted(sc.ACTIONS) == sorted(SPEC_ACTIONS)
    assert sorted(sc.OPERATORS) == sorted(SPEC_OPERATORS)
    for arch in ("SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",
                 "SCMP_ARCH_AARCH64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390X",
                 "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64"):
        assert arch in sc.ARCHES
    assert list(sc.FLAGS) == ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                              "SECCOMP_FILTER_FLAG_LOG",
                              "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]


def test_action_values_are_seccomp_h() -> None:
    assert sc.action_value("SCMP_ACT_ALLOW", None, "f") == 0x7FFF0000
    assert sc.action_value("SCMP_ACT_KILL", None, "f") == 0  # KILL is KILL_THREAD
    assert sc.action_value("SCMP_ACT_KILL_THREAD", None, "f") == 0
    assert sc.action_value("SCMP_ACT_KILL_PROCESS", None, "f") == 0x80000000
    assert sc.action_value("SCMP_ACT_TRAP", None, "f") == 0x00030000
    assert sc.action_value("SCMP_ACT_LOG", None, "f") == 0x7FFC0000
    assert sc.action_value("SCMP_ACT_NOTIFY", None, "f") == 0x7FC00000


def test_errno_actions_default_to_eperm_and_carry_errnoret() -> None:
    assert sc.action_value("SCMP_ACT_ERRNO", None, "f") == 0x00050001
    assert sc.action_value("SCMP_ACT_ERRNO", 38, "f") == 0x00050026
    assert sc.action_value("SCMP_ACT_ERRNO", 0, "f") == 0x00050000
    assert sc.action_value("SCMP_ACT_TRACE", None, "f") == 0x7FF00001
    assert sc.action_value("SCMP_ACT_TRACE", 1234, "f") == 0x7FF004D2
    assert sc.action_value("SCMP_ACT_ERRNO", 4094, "f") == 0x00050FFE
    assert sc.action_value("SCMP_ACT_TRACE", 0xFFFF, "f") == 0x7FF0FFFF


def test_operator_values_are_enum_scmp_compare() -> None:
    assert [sc.OPERATORS[o] for o in SPEC_OPERATORS] == [1, 2, 3, 4, 5, 6, 7]


def test_error_is_a_teu_error() -> None:
    assert issubclass(sc.SeccompError, TeuError)


# --- validation ---------------------------------------------------------------------

@pytest.mark.parametrize("seccomp, expected", [
    ([], "linux.seccomp: must be an object"),
    ({}, "linux.seccomp.defaultAction: required"),
    ({"defaultAction": "SCMP_ACT_NOPE"}, "linux.seccomp.defaultAction: unknown action 'SCMP_ACT_NOPE'"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1},
     "linux.seccomp.defaultAction: SCMP_ACT_ALLOW takes no errnoRet"),
    ({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": -1}, "errnoRet: must be an integer"),
    ({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 4095}, "from 0 to 4094"),
    ({"defaultAction": "SCMP_ACT_TRACE", "defaultErrnoRet": 65536}, "from 0 to 65535"),
    ({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": "1"}, "errnoRet: must be an integer"),
    ({"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/x"},
     "SCMP_ACT_NOTIFY cannot be the default"),
    ({**ALLOW, "architectures": ["SCMP_ARCH_VAX"]},
     "linux.seccomp.architectures[0]: unknown architecture 'SCMP_ARCH_VAX'"),
    ({**ALLOW, "architectures": "SCMP_ARCH_X86"}, "linux.seccomp.architectures: must be a list"),
    ({**ALLOW, "flags": ["SECCOMP_FILTER_FLAG_NOPE"]},
     "linux.seccomp.flags[0]: unknown seccomp flag 'SECCOMP_FILTER_FLAG_NOPE'"),
    ({"defaultAction": ["SCMP_ACT_ALLOW"]}, "defaultAction: unknown action ['SCMP_ACT_ALLOW']"),
    ({**ALLOW, "architectures": [{"a": 1}]}, "architectures[0]: unknown architecture"),
    ({**ALLOW, "flags": [["x"]]}, "flags[0]: unknown seccomp flag"),
    ({**ALLOW, "listenerPath": 5}, "linux.seccomp.listenerPath: must be a string"),
    ({**ALLOW, "syscalls": {"names": ["read"]}}, "linux.seccomp.syscalls: must be a list"),
    ({**ALLOW, "syscalls": ["read"]}, "linux.seccomp.syscalls[0]: must be an object"),
])
def test_bad_profiles_name_the_field(seccomp: object, expected: str) -> None:
    assert expected in errors(seccomp)


@pytest.mark.parametrize("rule, expected", [
    ({"names": ["read"], "action": "SCMP_ACT_NOPE"},
     "linux.seccomp.syscalls[1].action: unknown action 'SCMP_ACT_NOPE'"),
    ({"names": ["read"]}, "linux.seccomp.syscalls[1].action: unknown action None"),
    ({"names": ["read"], "action": "SCMP_ACT_LOG", "errnoRet": 1}, "takes no errnoRet"),
    ({"names": "read", "action": "SCMP_ACT_ERRNO"}, "linux.seccomp.syscalls[1].names: must be a list"),
    ({"names": [""], "action": "SCMP_ACT_ERRNO"}, "linux.seccomp.syscalls[1].names[0]: must be a syscall name"),
    ({"names": [7], "action": "SCMP_ACT_ERRNO"}, "names[0]: must be a syscall name"),
    ({"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "op": "SCMP_CMP_XX"}]},
     "linux.seccomp.syscalls[1].args[0].op: unknown operator 'SCMP_CMP_XX'"),
    ({"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "op": "SCMP_CMP_EQ"}]},
     "linux.seccomp.syscalls[1].args[0].index: must be an integer from 0 to 5"),
    ({"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": -1, "op": "SCMP_CMP_EQ"}]},
     "args[0].index: must be an integer"),
    ({"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": True, "op": "SCMP_CMP_EQ"}]},
     "args[0].index: must be an integer"),
    ({"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"op": "SCMP_CMP_EQ"}]},
     "args[0].index: must be an integer"),
    ({"names": ["read"], "action": "SCMP_ACT_ERRNO",
      "args": [{"index": 0, "op": "SCMP_CMP_EQ", "value": 1 << 64}]},
     "args[0].value: must be an integer from 0 to 18446744073709551615"),
    ({"names": ["read"], "action": "SCMP_ACT_ERRNO",
      "args": [{"index": 0, "op": "SCMP_CMP_MASKED_EQ", "value": 1, "valueTwo": -2}]},
     "args[0].valueTwo: must be an integer"),
    ({"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": ["x"]}, "args[0]: must be an object"),
    ({"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "op": {}}]},
     "args[0].op: unknown operator {}"),
    ({"names": ["mknod"], "action": "SCMP_ACT_NOTIFY"},
     "linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used"),
])
def test_bad_rules_name_the_field(rule: dict, expected: str) -> None:
    good = {"names": ["getpid"], "action": "SCMP_ACT_ERRNO"}
    assert expected in errors(profile(good, rule))


def test_notify_may_not_cover_the_fd_hand_over() -> None:
    message = errors(profile({"names": ["mknod", "write"], "action": "SCMP_ACT_NOTIFY"},
                             listenerPath="/run/agent.sock"))
    assert "linux.seccomp.syscalls[0]: SCMP_ACT_NOTIFY cannot be used for the write syscall" in message


def test_parse_keeps_runc_defaults() -> None:
    p = sc.parse(profile({"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 100,
                          "args": [{"index": 1, "op": "SCMP_CMP_MASKED_EQ", "value": 0o700,
                                    "valueTwo": 0o500}]}))
    assert p.flags is None  # absent, not empty: SPEC_ALLOW applies
    assert p.arches == [] and p.listener_path == "" and not p.uses_notify
    (rule,) = p.rules
    assert rule.names == ("mkdir",) and rule.action == 0x00050064
    assert rule.conditions == ((1, 7, 0o700, 0o500),)
    assert sc.parse({**ALLOW, "flags": []}).flags == []


def test_empty_names_and_extra_keys_are_accepted() -> None:
    p = sc.parse({**ALLOW, "syscalls": [{"names": [], "action": "SCMP_ACT_ERRNO",
                                         "comment": "x"}], "someFutureKey": 1})
    assert p.rules[0].names == ()


def test_notify_with_listener_parses() -> None:
    p = sc.parse(profile({"names": ["mknod"], "action": "SCMP_ACT_NOTIFY"},
                         listenerPath="/run/a.sock", listenerMetadata="m"))
    assert p.uses_notify and p.listener_path == "/run/a.sock" and p.listener_metadata == "m"


@pytest.mark.parametrize("seccomp, expected", [
    (None, False), ({}, False), ({"defaultAction": ""}, False),
    ({"defaultAction": "", "syscalls": []}, False), (ALLOW, True),
    ({"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO"}]}, True),
])
def test_enabled_like_runc(seccomp: dict | None, expected: bool) -> None:
    assert sc.enabled(seccomp) is expected


def test_conditions_share_a_rule_unless_an_index_repeats() -> None:
    a0 = (0, 4, 1, 0)
    a1 = (1, 4, 2, 0)
    a0b = (0, 4, 3, 0)
    assert sc._condition_groups(()) == [()]
    assert sc._condition_groups((a0, a1)) == [(a0, a1)]
    assert sc._condition_groups((a0, a1, a0b)) == [(a0,), (a1,), (a0b,)]


# --- the filter libseccomp builds -------------------------------------------------------

def pfc(seccomp: dict) -> str:
    with sc.compile_filter(seccomp) as flt:
        return flt.export_pfc()


@needs_lib
def test_errno_rule_and_unknown_names() -> None:
    code = pfc(profile({"names": ["mkdir", "no_such_syscall_xyz"], "action": "SCMP_ACT_ERRNO",
                        "errnoRet": 100}))
    assert 'syscall "mkdir"' in code and "action ERRNO(100);" in code
    assert "no_such_syscall_xyz" not in code


@needs_lib
def test_rules_equal_to_the_default_are_skipped() -> None:
    code = pfc({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
                "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
                             {"names": ["getppid"], "action": "SCMP_ACT_ERRNO"}]})
    assert 'syscall "getpid"' not in code
    assert 'syscall "getppid"' in code and "action ERRNO(1);" in code
    assert code.rstrip().count("action ERRNO(38);") >= 1  # the default


@needs_lib
def test_repeated_index_makes_one_rule_per_condition() -> None:
    code = pfc(profile({"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [
        {"index": 0, "op": "SCMP_CMP_EQ", "value": 8},
        {"index": 0, "op": "SCMP_CMP_EQ", "value": 16}]}))
    assert "== 8)" in code and "== 16)" in code
    # Two sibling branches, each its own action: an OR, not an impossible AND.
    assert code.count("action ERRNO(1);") == 2


@needs_lib
def test_distinct_indexes_are_anded() -> None:
    code = pfc(profile({"names": ["getpriority"], "action": "SCMP_ACT_KILL_PROCESS", "args": [
        {"index": 0, "op": "SCMP_CMP_EQ", "value": 0},
        {"index": 1, "op": "SCMP_CMP_MASKED_EQ", "value": 0xFF, "valueTwo": 7}]}))
    assert code.count("action KILL_PROCESS;") == 1
    assert "& 0x000000ff == 7" in code


@needs_lib
def test_architectures_are_added_and_native_is_tolerated() -> None:
    code = pfc(profile({"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"},
                       architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]))
    for arch in ("arch x86_64", "arch x86 ", "arch x32"):
        assert arch in code


@needs_lib
def test_other_byte_order_arch_is_an_error() -> None:
    with pytest.raises(sc.SeccompError, match=r"architectures\[0\]: cannot add SCMP_ARCH_S390X"):
        sc.compile_filter({**ALLOW, "architectures": ["SCMP_ARCH_S390X"]})


@needs_lib
def test_arch_unknown_to_this_libseccomp_is_an_error() -> None:
    missing = [a for a, n in sc.ARCHES.items()
               if not sc._libseccomp().seccomp_arch_resolve_name(n.encode())]
    if not missing:
        pytest.skip("this libseccomp knows every spec architecture")
    with pytest.raises(sc.SeccompError, match=r"architectures\[1\]: .* not known to libseccomp"):
        sc.compile_filter({**ALLOW, "architectures": ["SCMP_ARCH_X86_64", missing[0]]})


@needs_lib
def test_unsupported_flag_is_an_error() -> None:
    unsupported = [f for f in sc.FLAGS if f not in sc.features()["supportedFlags"]]
    if not unsupported:
        pytest.skip("every known flag is supported here")
    with pytest.raises(sc.SeccompError, match=r"flags\[1\]: .* not supported"):
        sc.compile_filter({**ALLOW, "flags": ["SECCOMP_FILTER_FLAG_LOG", unsupported[0]]})


@needs_lib
def test_supported_flags_compile() -> None:
    for flag in sc.features()["supportedFlags"]:
        sc.compile_filter({**ALLOW, "flags": [flag]}).release()


@needs_lib
def test_filter_release_is_idempotent_and_final() -> None:
    flt = sc.compile_filter(ALLOW)
    flt.release()
    flt.release()
    with pytest.raises(sc.SeccompError, match="released"):
        flt.load()


@needs_lib
def test_big_profile_compiles() -> None:
    names = [f"no_such_call_{i}" for i in range(40)] + ["mkdir", "rmdir", "chmod"]
    code = pfc({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
                "syscalls": [{"names": names, "action": "SCMP_ACT_ALLOW"}]})
    assert 'syscall "rmdir"' in code


# --- features -------------------------------------------------------------------------------

@needs_lib
def test_features_shape() -> None:
    f = sc.features()
    assert f["enabled"] is True
    assert f["operators"] == sorted(SPEC_OPERATORS)
    assert f["actions"] == sorted(f["actions"]) and set(f["actions"]) <= set(SPEC_ACTIONS)
    assert {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL"} <= set(f["actions"])
    assert f["knownFlags"] == list(sc.FLAGS)
    assert set(f["supportedFlags"]) <= set(f["knownFlags"])
    assert "SCMP_ARCH_X86_64" in f["archs"] or "SCMP_ARCH_AARCH64" in f["archs"]
    json.dumps(f)


@needs_lib
@pytest.mark.skipif(not shutil.which("runc"), reason="runc not installed")
def test_features_agree_with_runc() -> None:
    out = subprocess.run(["runc", "features"], capture_output=True, text=True, check=True).stdout
    theirs = json.loads(out)["linux"]["seccomp"]
    ours = sc.features()
    assert ours["actions"] == theirs["actions"]
    assert ours["operators"] == theirs["operators"]
    assert set(theirs["archs"]) <= set(ours["archs"])
    for key in ("knownFlags", "supportedFlags"):  # runc >= 1.2 reports them
        if key in theirs:
            assert set(theirs[key]) <= set(ours[key])


def test_version_string() -> None:
    v = sc.libseccomp_version()
    assert v is None or v.count(".") == 2


# --- the notify fd hand-over ---------------------------------------------------------------

def test_send_to_listener_needs_a_listener(tmp_path: Path) -> None:
    r, w = os.pipe()
    try:
        with pytest.raises(sc.SeccompError, match="failed to connect with seccomp agent"):
            sc.send_to_listener({"listenerPath": str(tmp_path / "none.sock")}, r, {"pid": 1})
        with pytest.raises(sc.SeccompError, match="listenerPath: required"):
            sc.send_to_listener({}, r, {"pid": 1})
    finally:
        os.close(r)
        os.close(w)


def test_send_to_listener_sends_state_and_fd(tmp_path: Path) -> None:
    path = str(tmp_path / "agent.sock")
    got: dict = {}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen(1)
        server.settimeout(10)

        def agent() -> None:
            conn, _ = server.accept()
            with conn:
                msg, fds, _flags, _addr = socket.recv_fds(conn, 65536, 4)
                got["msg"], got["fds"] = msg, fds
                got["eof"] = conn.recv(1)

        t = threading.Thread(target=agent)
        t.start()
        r, w = os.pipe()
        try:
            state = {"ociVersion": "1.2.0", "id": "c1", "status": "creating", "pid": 4242,
                     "bundle": "/b", "annotations": {"a": "b"}}
            sc.send_to_listener({"listenerPath": path, "listenerMetadata": "meta"}, r, state)
            t.join(10)
            assert len(got["fds"]) == 1
            os.write(w, b"x")
            assert os.read(got["fds"][0], 1) == b"x"  # the very pipe we sent
            os.close(got["fds"][0])
        finally:
            os.close(r)
            os.close(w)
    message = json.loads(got["msg"])
    assert message == {"ociVersion": "1.2.0", "fds": ["seccompFd"], "pid": 4242,
                       "metadata": "meta", "state": state}
    assert got["eof"] == b""  # one message per connection, then closed


def test_cache_store_writes_a_file_of_its_own(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """Every init is pid 1 of its namespace: two stores of one profile at once must not
    share a temporary file (one would truncate the other's and a torn program be kept)."""
    from teu.runtime.seccomp import cache

    monkeypatch.setattr(cache.os, "getpid", lambda: 1)
    (tmp_path / ".prog.1").write_bytes(b"another writer's, half-written")
    renamed = []
    real_replace = os.replace
    monkeypatch.setattr(cache.os, "replace",
                        lambda a, b: (renamed.append(a), real_replace(a, b))[1])
    cache.store(str(tmp_path), "prog", b"\x06\x00\x00\x00\x00\x00\xff\x7f", 0)
    cache.store(str(tmp_path), "prog", b"\x06\x00\x00\x00\x00\x00\xff\x7f", 0)
    assert len(set(renamed)) == 2 and str(tmp_path / ".prog.1") not in renamed
    assert (tmp_path / ".prog.1").read_bytes() == b"another writer's, half-written"
    hit = cache.lookup(str(tmp_path), "prog")
    assert hit is not None and hit.program == b"\x06\x00\x00\x00\x00\x00\xff\x7f"
