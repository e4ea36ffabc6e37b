"""Seccomp filters in the real kernel: each test forks a child that loads a filter.

The filter is compiled in the parent (as the runtime does before it forks) and
loaded in the child, which reports one result through a pipe and always leaves
with os._exit, so it never runs on inside pytest. Children that die by SIGSYS
get RLIMIT_CORE 0 first: the machine's core_pattern would drop a core in cwd.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import resource
import select
import signal
import socket
import struct
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

from teu.runtime import seccomp as sc

_libc = ctypes.CDLL(None, use_errno=True)
_libc.personality.argtypes = [ctypes.c_ulong]
_libc.personality.restype = ctypes.c_int
PERSONALITY_QUERY = 0xFFFFFFFF


def run_filtered(seccomp: dict, action: Callable[[], object]) -> tuple[object, int]:
    """Load `seccomp` in a forked child, run action there; (its result, wait status)."""
    flt = sc.compile_filter(seccomp)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return from this branch
        code = 0
        try:
            os.close(r)
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            flt.load()
            os.write(w, json.dumps({"result": action()}).encode())
        except BaseException:
            code = 3
            try:
                os.write(w, json.dumps({"error": traceback.format_exc()}).encode())
            except BaseException:
                pass
        finally:
            os._exit(code)
    os.close(w)
    flt.release()
    try:
        data = b"".join(iter(lambda: os.read(r, 65536), b""))
    finally:
        os.close(r)
        _, status = os.waitpid(pid, 0)
    report = json.loads(data) if data else {}
    assert "error" not in report, report["error"]
    return report.get("result"), status


def errno_of(fn: Callable[..., object], *args: object) -> int:
    """0 if fn(*args) succeeds, else the errno it failed with."""
    try:
        fn(*args)
    except OSError as e:
        return e.errno or -1
    return 0


def personality(persona: int) -> int:
    """personality(2) via libc: 0 on success, else errno."""
    ctypes.set_errno(0)
    return ctypes.get_errno() if _libc.personality(persona) == -1 else 0


def status_fields(*names: str) -> dict[str, str]:
    with open("/proc/self/status") as f:
        rows = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    return {n: rows.get(n, "").strip() for n in names}


def died_by(status: int, sig: int) -> bool:
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) == sig


def rule(names: list[str], action: str, **more: object) -> dict:
    return {"names": names, "action": action, **more}


def allow_with(*rules: dict, **top: object) -> dict:
    return {"defaultAction": "SCMP_ACT_ALLOW", **top, "syscalls": list(rules)}


# --- actions ---------------------------------------------------------------------------

@pytest.mark.parametrize("errno_ret", [1, 13, 100, 4094])
def test_errno_ret_reaches_the_caller(tmp_path: Path, errno_ret: int) -> None:
    seccomp = allow_with(rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO", errnoRet=errno_ret))
    result, status = run_filtered(seccomp, lambda: errno_of(os.mkdir, tmp_path / "d"))
    assert result == errno_ret and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert not (tmp_path / "d").exists()


def test_errno_defaults_to_eperm(tmp_path: Path) -> None:
    seccomp = allow_with(rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO"))
    result, _ = run_filtered(seccomp, lambda: errno_of(os.mkdir, tmp_path / "d"))
    assert result == errno.EPERM


def test_errno_ret_zero_skips_the_call_and_reports_success(tmp_path: Path) -> None:
    seccomp = allow_with(rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO", errnoRet=0))
    result, _ = run_filtered(seccomp, lambda: errno_of(os.mkdir, tmp_path / "d"))
    assert result == 0 and not (tmp_path / "d").exists()


@pytest.mark.parametrize("action", ["SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                                    "SCMP_ACT_KILL", "SCMP_ACT_TRAP"])
def test_kill_and_trap_end_in_sigsys(tmp_path: Path, action: str) -> None:
    seccomp = allow_with(rule(["mkdir", "mkdirat"], action))
    result, status = run_filtered(seccomp, lambda: errno_of(os.mkdir, tmp_path / "d"))
    assert result is None and died_by(status, signal.SIGSYS), status
    assert not (tmp_path / "d").exists()


def test_trace_without_a_tracer_is_enosys(tmp_path: Path) -> None:
    seccomp = allow_with(rule(["mkdir", "mkdirat"], "SCMP_ACT_TRACE", errnoRet=7))
    result, _ = run_filtered(seccomp, lambda: errno_of(os.mkdir, tmp_path / "d"))
    assert result == errno.ENOSYS


def test_log_allows_the_call(tmp_path: Path) -> None:
    seccomp = allow_with(rule(["mkdir", "mkdirat"], "SCMP_ACT_LOG"))
    result, _ = run_filtered(seccomp, lambda: errno_of(os.mkdir, tmp_path / "d"))
    assert result == 0 and (tmp_path / "d").is_dir()


def test_only_named_calls_are_touched(tmp_path: Path) -> None:
    seccomp = allow_with(rule(["rmdir"], "SCMP_ACT_ERRNO", errnoRet=99))
    result, _ = run_filtered(seccomp, lambda: [errno_of(os.mkdir, tmp_path / "d"),
                                               errno_of(os.rmdir, tmp_path / "d")])
    assert result == [0, 99]


# --- default action -------------------------------------------------------------------------

CHILD_NEEDS = ["write", "exit_group", "exit", "brk", "mmap", "munmap", "mremap", "madvise",
               "rt_sigreturn", "rt_sigprocmask", "futex", "close"]


def test_default_errno_with_an_allow_list(tmp_path: Path) -> None:
    seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": errno.ENXIO,
               "syscalls": [rule(CHILD_NEEDS + ["getppid"], "SCMP_ACT_ALLOW")]}
    result, status = run_filtered(seccomp, lambda: [
        errno_of(os.mkdir, tmp_path / "d"), errno_of(os.uname), os.getppid()])
    assert result == [errno.ENXIO, errno.ENXIO, os.getpid()]
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_default_errno_is_eperm_without_default_errno_ret(tmp_path: Path) -> None:
    seccomp = {"defaultAction": "SCMP_ACT_ERRNO",
               "syscalls": [rule(CHILD_NEEDS, "SCMP_ACT_ALLOW")]}
    result, _ = run_filtered(seccomp, lambda: errno_of(os.mkdir, tmp_path / "d"))
    assert result == errno.EPERM


def test_rules_equal_to_the_default_are_skipped_not_refused(tmp_path: Path) -> None:
    seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
               "syscalls": [rule(CHILD_NEEDS, "SCMP_ACT_ALLOW"),
                            rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO", errnoRet=38),
                            rule(["rmdir"], "SCMP_ACT_ERRNO", errnoRet=5)]}
    result, _ = run_filtered(seccomp, lambda: [errno_of(os.mkdir, tmp_path / "d"),
                                               errno_of(os.rmdir, tmp_path)])
    assert result == [38, 5]


# --- argument conditions ----------------------------------------------------------------------

def test_arg_condition_selects_calls() -> None:
    seccomp = allow_with(rule(["personality"], "SCMP_ACT_ERRNO", errnoRet=42,
                              args=[{"index": 0, "op": "SCMP_CMP_EQ", "value": 0x0008}]))
    result, _ = run_filtered(seccomp, lambda: [personality(0x0008),
                                               personality(PERSONALITY_QUERY)])
    assert result == [42, 0]


def test_same_index_twice_means_either() -> None:
    seccomp = allow_with(rule(["personality"], "SCMP_ACT_ERRNO", errnoRet=42, args=[
        {"index": 0, "op": "SCMP_CMP_EQ", "value": 0x0008},
        {"index": 0, "op": "SCMP_CMP_EQ", "value": 0x0010}]))
    result, _ = run_filtered(seccomp, lambda: [personality(0x0008), personality(0x0010),
                                               personality(PERSONALITY_QUERY)])
    assert result == [42, 42, 0]


def test_different_indexes_mean_both() -> None:
    who = 424242  # no such process: an unmatched call fails with ESRCH instead
    seccomp = allow_with(rule(["getpriority"], "SCMP_ACT_ERRNO", errnoRet=42, args=[
        {"index": 0, "op": "SCMP_CMP_EQ", "value": os.PRIO_PROCESS},
        {"index": 1, "op": "SCMP_CMP_EQ", "value": who}]))
    result, _ = run_filtered(seccomp, lambda: [
        errno_of(os.getpriority, os.PRIO_PROCESS, who),
        errno_of(os.getpriority, os.PRIO_PGRP, who),
        errno_of(os.getpriority, os.PRIO_PROCESS, 0)])
    assert result == [42, errno.ESRCH, 0]


@pytest.mark.parametrize("op, value, value_two, denied, allowed", [
    ("SCMP_CMP_NE", 0x0008, 0, 0x0010, 0x0008),
    ("SCMP_CMP_LT", 0x0010, 0, 0x0008, 0x0020),
    ("SCMP_CMP_LE", 0x0010, 0, 0x0010, 0x0020),
    ("SCMP_CMP_GE", 0x0010, 0, 0x0010, 0x0008),
    ("SCMP_CMP_GT", 0x0010, 0, 0x0020, 0x0010),
    ("SCMP_CMP_MASKED_EQ", 0x0F00, 0x0100, 0x0108, 0x0208),
])
def test_operators(op: str, value: int, value_two: int, denied: int, allowed: int) -> None:
    arg = {"index": 0, "op": op, "value": value, "valueTwo": value_two}
    seccomp = allow_with(rule(["personality"], "SCMP_ACT_ERRNO", errnoRet=42, args=[arg]))
    result, _ = run_filtered(seccomp, lambda: [personality(denied), personality(allowed)])
    assert result == [42, 0]


# --- attributes, flags, architectures ---------------------------------------------------------

def test_filter_is_installed_without_no_new_privs() -> None:
    # runc semantics: the runtime, not the filter, sets no_new_privs.
    result, _ = run_filtered(allow_with(rule(["mkdir"], "SCMP_ACT_ERRNO")),
                             lambda: status_fields("Seccomp", "Seccomp_filters", "NoNewPrivs"))
    assert result == {"Seccomp": "2", "Seccomp_filters": "1", "NoNewPrivs": "0"}


def test_without_cap_sys_admin_load_needs_no_new_privs() -> None:
    # Why the runtime loads before dropping privileges unless noNewPrivileges is set.
    nobody = 65534
    flt_text = allow_with(rule(["rmdir"], "SCMP_ACT_ERRNO", errnoRet=12))

    def child() -> object:
        os.setgroups([])
        os.setresgid(nobody, nobody, nobody)
        os.setresuid(nobody, nobody, nobody)  # all capabilities gone
        outcome = []
        for nnp in (False, True):
            if nnp:
                _libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
            try:
                sc.load(flt_text)
                outcome.append(errno_of(os.rmdir, "/nonexistent-teu"))
            except sc.SeccompError as e:
                outcome.append(str(e))
        return outcome

    result, _ = run_filtered({"defaultAction": "SCMP_ACT_ALLOW"}, child)
    assert "CAP_SYS_ADMIN" in result[0] and "Permission denied" in result[0]
    assert result[1] == 12


@pytest.mark.parametrize("flags", [[], ["SECCOMP_FILTER_FLAG_TSYNC"], ["SECCOMP_FILTER_FLAG_LOG"],
                                   ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
                                   ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                    "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]])
def test_flags_load(tmp_path: Path, flags: list[str]) -> None:
    unsupported = set(flags) - set(sc.features()["supportedFlags"])
    if unsupported:
        pytest.skip(f"not supported here: {unsupported}")
    seccomp = allow_with(rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO", errnoRet=77), flags=flags)
    result, _ = run_filtered(seccomp, lambda: [errno_of(os.mkdir, tmp_path / "d"),
                                               status_fields("Seccomp")["Seccomp"]])
    assert result == [77, "2"]


def test_extra_architectures_load(tmp_path: Path) -> None:
    if os.uname().machine != "x86_64":
        pytest.skip("x86 family test")
    seccomp = allow_with(rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO", errnoRet=9),
                         architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
    result, _ = run_filtered(seccomp, lambda: errno_of(os.mkdir, tmp_path / "d"))
    assert result == 9


def test_unknown_syscall_names_are_skipped(tmp_path: Path) -> None:
    seccomp = allow_with(rule(["no_such_syscall_xyz", "mkdir", "mkdirat"], "SCMP_ACT_ERRNO",
                              errnoRet=11))
    result, _ = run_filtered(seccomp, lambda: errno_of(os.mkdir, tmp_path / "d"))
    assert result == 11


def test_load_convenience() -> None:
    def child() -> object:
        before = sc.load({"defaultAction": "", "syscalls": []})  # disabled: loads nothing
        seccomp_before = status_fields("Seccomp")["Seccomp"]
        fd = sc.load(allow_with(rule(["rmdir"], "SCMP_ACT_ERRNO", errnoRet=12)))
        return [before, seccomp_before, fd, errno_of(os.rmdir, "/nonexistent-teu")]

    result, _ = run_filtered({"defaultAction": "SCMP_ACT_ALLOW"}, child)
    assert result == [None, "2", None, 12]  # the harness's own ALLOW filter counts as "2"


def test_filters_stack() -> None:
    def child() -> object:
        sc.load(allow_with(rule(["rmdir"], "SCMP_ACT_ERRNO", errnoRet=12)))
        return [errno_of(os.rmdir, "/nonexistent-teu"), status_fields("Seccomp_filters")]

    result, _ = run_filtered(allow_with(rule(["rmdir"], "SCMP_ACT_ERRNO", errnoRet=13)), child)
    # The kernel runs every filter; between equal actions the newest one's wins.
    assert result == [12, {"Seccomp_filters": "2"}]


# --- SCMP_ACT_NOTIFY ----------------------------------------------------------------------

# linux/seccomp.h: struct seccomp_notif (80 bytes) and seccomp_notif_resp (24 bytes).
_NOTIF = struct.Struct("=QIIiIQ6Q")
_RESP = struct.Struct("=QqiI")


def _iowr(nr: int, size: int) -> int:
    return (3 << 30) | (size << 16) | (ord("!") << 8) | nr


NOTIF_RECV = _iowr(0, _NOTIF.size)
NOTIF_SEND = _iowr(1, _RESP.size)


def answer_one(notify_fd: int, error: int) -> tuple[int, int]:
    """Take one notification and fail its call with -error; (syscall nr, pid)."""
    import fcntl

    ready, _, _ = select.select([notify_fd], [], [], 10)
    assert ready, "no seccomp notification within 10 s"
    buf = bytearray(_NOTIF.size)
    fcntl.ioctl(notify_fd, NOTIF_RECV, buf)
    notif_id, pid, _flags, nr, *_ = _NOTIF.unpack(buf)
    fcntl.ioctl(notify_fd, NOTIF_SEND, bytearray(_RESP.pack(notif_id, 0, -error, 0)))
    return nr, pid


def test_notify_sends_fd_and_state_to_the_listener(tmp_path: Path) -> None:
    path = str(tmp_path / "agent.sock")
    seccomp = allow_with(rule(["mkdir", "mkdirat"], "SCMP_ACT_NOTIFY"),
                         listenerPath=path, listenerMetadata="hello")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen(1)
        server.settimeout(10)
        flt = sc.compile_filter(seccomp)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never return from this branch
            code = 1
            try:
                os.close(r)
                flt.load()
                fd = flt.notify_fd()
                state = {"ociVersion": "1.3.0", "id": "ctr", "status": "creating",
                         "pid": os.getpid(), "bundle": "/bundle"}
                sc.send_to_listener(seccomp, fd, state)
                os.close(fd)
                os.write(w, str(errno_of(os.mkdir, tmp_path / "d")).encode())
                code = 0
            finally:
                os._exit(code)
        os.close(w)
        flt.release()
        try:
            conn, _ = server.accept()
            with conn:
                msg, fds, _, _ = socket.recv_fds(conn, 65536, 1)
            assert len(fds) == 1
            try:
                nr, caller = answer_one(fds[0], errno.EXDEV)
            finally:
                os.close(fds[0])
            answer = os.read(r, 100)
        except BaseException:
            os.kill(pid, signal.SIGKILL)  # it may wait on an answer that never comes
            raise
        finally:
            os.close(r)
            _, status = os.waitpid(pid, 0)
    message = json.loads(msg)
    assert message["fds"] == ["seccompFd"] and message["pid"] == pid
    assert message["metadata"] == "hello" and message["state"]["id"] == "ctr"
    assert caller == pid
    assert nr in (83, 258) or os.uname().machine != "x86_64"  # mkdir, mkdirat
    assert answer == str(errno.EXDEV).encode()
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert not (tmp_path / "d").exists()
