"""The syscall seam: every Linux call the runtime makes that Python 3.11 lacks.

Python 3.11 has no os.unshare, os.setns, mount or pivot_root, so they are called
through libc with ctypes' C half (_ctypes, see "C types" below). Code takes a
`Syscalls` (the Protocol below) so unit tests can pass a recorder instead of
touching the kernel; `syscalls()` gives the real one. Errors come back as OSError
with the errno and the call's target, the same shape os.* functions raise.
"""

from __future__ import annotations

import _ctypes
import os
import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs ~3 ms

# Namespace clone flags (linux/sched.h).
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEWTIME = 0x00000080

# mount(2) flags (linux/mount.h).
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_SYNCHRONOUS = 16
MS_REMOUNT = 32
MS_MANDLOCK = 64
MS_DIRSYNC = 128
MS_NOSYMFOLLOW = 256
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_MOVE = 8192
MS_REC = 16384
MS_SILENT = 32768
MS_UNBINDABLE = 1 << 17
MS_PRIVATE = 1 << 18
MS_SLAVE = 1 << 19
MS_SHARED = 1 << 20
MS_RELATIME = 1 << 21
MS_STRICTATIME = 1 << 24
MS_LAZYTIME = 1 << 25
MNT_DETACH = 2
UMOUNT_NOFOLLOW = 8

# prctl(2) options (linux/prctl.h).
PR_SET_PDEATHSIG = 1
PR_GET_DUMPABLE = 3
PR_SET_DUMPABLE = 4
PR_SET_KEEPCAPS = 8
PR_SET_NAME = 15
PR_CAPBSET_READ = 23
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_RAISE = 2
PR_CAP_AMBIENT_CLEAR_ALL = 4

KEYCTL_JOIN_SESSION_KEYRING = 1

# setrlimit(2) resources (asm-generic/resource.h: the same numbers on x86_64 and aarch64).
RLIMITS = {name: n for n, name in enumerate((
    "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS",
    "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS",
    "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME"))}

_SYSCALL_NUMBERS = {
    # machine: (pivot_root, keyctl, capget, capset, personality, clone, rt_sigaction)
    "x86_64": (155, 250, 125, 126, 135, 56, 13),
    "aarch64": (41, 219, 90, 91, 92, 220, 134),
}
_NR_MOUNT_SETATTR = 442  # the same in every Linux syscall table (asm-generic)
_NR_CLONE3 = 435  # likewise (Linux 5.3)
_AT_FDCWD = -100
_AT_RECURSIVE = 0x8000
CLONE_PARENT = 0x00008000
CLONE_INTO_CGROUP = 0x200000000  # clone3 only (Linux 5.7): the child starts in a cgroup2 dir
SIGCHLD = 17


if TYPE_CHECKING:  # typing costs ~3 ms to import; only checkers need the Protocol
    from typing import Protocol

    class Syscalls(Protocol):
        """What the runtime asks of the kernel beyond the os module."""

        def unshare(self, flags: int) -> None: ...
        def setns(self, fd: int, nstype: int) -> None: ...
        def mount(self, source: str | None, target: str, fstype: str | None,
                  flags: int, data: str | None) -> None: ...
        def umount2(self, target: str, flags: int) -> None: ...
        def pivot_root(self, new_root: str, put_old: str) -> None: ...
        def sethostname(self, name: str) -> None: ...
        def setdomainname(self, name: str) -> None: ...
        def prctl(self, option: int, a2: int = 0, a3: int = 0, a4: int = 0, a5: int = 0) -> int: ...
        def capget(self) -> tuple[int, int, int]: ...
        def capset(self, effective: int, permitted: int, inheritable: int) -> None: ...
        def join_session_keyring(self, name: str | None) -> None: ...
        def personality(self, persona: int) -> None: ...
        def mount_setattr(self, path: str, attr_set: int, attr_clr: int,
                          recursive: bool = True) -> None: ...
        def clone_parent(self) -> int: ...
        def clone(self, flags: int, cgroup_fd: int | None = None) -> int: ...
        def default_signal(self, sig: int) -> None: ...
        def setrlimit(self, resource: int, soft: int, hard: int) -> None: ...


_FS_ENCODING = sys.getfilesystemencoding()


def _fs(s: str | None) -> bytes | None:
    """A path (or mount data) as the kernel takes it: os.fsencode's bytes, without its
    Python-level checks for the usual str (a mount makes 4 of these, 51 mounts a start)."""
    if s is None:
        return None
    if s.__class__ is str:
        return s.encode(_FS_ENCODING, "surrogateescape")
    return os.fsencode(s)


# -- C types ------------------------------------------------------------------
# What the seam needs of ctypes, made from its C half alone. `import ctypes` also runs
# ctypes/__init__.py (struct, types, _endian, some 40 type and class definitions, a
# handle on libpython): ~2.5 ms of CPU idle, ~5 ms loaded, on every container start,
# where _ctypes itself costs ~0.5 ms. The classes below are what ctypes defines under
# the same type codes (x86_64 and aarch64 are both LP64: a long is 64 bits). Each costs
# ~0.05-0.1 ms to define, so structs are arrays of these (C's layout is the same).
class _Int(_ctypes._SimpleCData):
    _type_ = "i"


class _UInt(_ctypes._SimpleCData):
    _type_ = "I"


class _Long(_ctypes._SimpleCData):
    _type_ = "l"


class _ULong(_ctypes._SimpleCData):
    _type_ = "L"


class _CFunction(_ctypes.CFuncPtr):
    """A C function that saves errno (ctypes' CDLL(..., use_errno=True) functions)."""

    _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
    _restype_ = _Int


class _PythonAPIFunction(_ctypes.CFuncPtr):
    """Called with the GIL held, Python's error indicator checked after (ctypes' PyDLL)."""

    _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_PYTHONAPI | _ctypes.FUNCFLAG_USE_ERRNO
    _restype_ = _Int


class _Program:
    """dlopen(NULL): this program and the libraries it has loaded (glibc, libpython)."""

    def __init__(self) -> None:
        self._handle = _ctypes.dlopen(None, _ctypes.RTLD_LOCAL)

    def function(self, name: str, restype: type = _Int,
                 kind: type = _CFunction):  # noqa: ANN201 - a C function object
        fn = kind((name, self))
        fn.restype = restype
        return fn


_CAP_V3 = 0x20080522  # capget/capset's header: this version, pid 0 (ourselves)


class LibcSyscalls:
    """Syscalls through glibc: the real kernel."""

    def __init__(self) -> None:
        self._libc = _Program()
        self._nr = _SYSCALL_NUMBERS.get(os.uname().machine)
        self._syscall = self._libc.function("syscall", restype=_Long)
        self._functions: dict = {}

    def _fn(self, name: str):  # noqa: ANN202 - a C function object
        fn = self._functions.get(name)
        if fn is None:
            fn = self._functions[name] = self._libc.function(name)
        return fn

    def resolve(self) -> None:
        """Look up now the libc functions the container side calls (a dlsym and a
        function object each), while there is nothing else to do."""
        for name in ("unshare", "setns", "mount", "umount2", "prctl", "sethostname",
                     "setdomainname", "setrlimit"):
            self._fn(name)

    def _check(self, rc: int, what: str, target: str | None = None) -> int:
        if rc < 0:
            self._fail(what, target)
        return rc

    @staticmethod
    def _fail(what: str, target: str | None = None) -> None:
        err = _ctypes.get_errno()
        if target is None:
            raise OSError(err, f"{what}: {os.strerror(err)}")
        raise OSError(err, f"{what}: {os.strerror(err)}", target)

    def _number(self, index: int, what: str) -> int:
        if self._nr is None:
            raise OSError(38, f"{what}: unsupported machine {os.uname().machine}")
        return self._nr[index]

    def unshare(self, flags: int) -> None:
        self._check(self._fn("unshare")(_Int(flags)), "unshare")

    def setns(self, fd: int, nstype: int) -> None:
        self._check(self._fn("setns")(_Int(fd), _Int(nstype)), "setns")

    def mount(self, source: str | None, target: str, fstype: str | None,
              flags: int, data: str | None) -> None:
        rc = self._fn("mount")(_fs(source), _fs(target), _fs(fstype), _ULong(flags), _fs(data))
        if rc < 0:  # the message made only then: 51 mounts a start
            self._fail(f"mount {source or fstype} on", target)

    def umount2(self, target: str, flags: int) -> None:
        self._check(self._fn("umount2")(_fs(target), _Int(flags)), "umount", target)

    def pivot_root(self, new_root: str, put_old: str) -> None:
        nr = self._number(0, "pivot_root")
        self._check(self._syscall(_Long(nr), _fs(new_root), _fs(put_old)),
                    "pivot_root", new_root)

    def sethostname(self, name: str) -> None:
        b = name.encode()
        self._check(self._fn("sethostname")(b, _ULong(len(b))), "sethostname", name)

    def setdomainname(self, name: str) -> None:
        b = name.encode()
        self._check(self._fn("setdomainname")(b, _ULong(len(b))), "setdomainname", name)

    def setrlimit(self, resource: int, soft: int, hard: int) -> None:
        """Through _ctypes, already loaded, rather than the resource module (one more
        shared object to load at every start); -1 (or 2**64-1) is unlimited."""
        limit = (_ULong * 2)(soft & 0xFFFFFFFFFFFFFFFF, hard & 0xFFFFFFFFFFFFFFFF)  # rlimit
        self._check(self._fn("setrlimit")(_Int(resource), limit), "setrlimit")

    def prctl(self, option: int, a2: int = 0, a3: int = 0, a4: int = 0, a5: int = 0) -> int:
        rc = self._fn("prctl")(_Int(option), _ULong(a2), _ULong(a3), _ULong(a4), _ULong(a5))
        if rc < 0:
            self._fail(f"prctl({option})")
        return rc

    def capget(self) -> tuple[int, int, int]:
        # data: two __user_cap_data_struct {effective, permitted, inheritable} (u32 each),
        # the low and the high 32 capabilities
        data = (_UInt * 6)()
        nr = self._number(2, "capget")
        self._check(self._syscall(_Long(nr), (_Int * 2)(_CAP_V3, 0), data), "capget")
        return data[0] | data[3] << 32, data[1] | data[4] << 32, data[2] | data[5] << 32

    def capset(self, effective: int, permitted: int, inheritable: int) -> None:
        data = (_UInt * 6)(*(value >> shift & 0xFFFFFFFF for shift in (0, 32)
                             for value in (effective, permitted, inheritable)))
        nr = self._number(3, "capset")
        self._check(self._syscall(_Long(nr), (_Int * 2)(_CAP_V3, 0), data), "capset")

    def join_session_keyring(self, name: str | None) -> None:
        nr = self._number(1, "keyctl")
        self._check(self._syscall(_Long(nr), _Long(KEYCTL_JOIN_SESSION_KEYRING), _fs(name)),
                    "keyctl(join session keyring)")

    def mount_setattr(self, path: str, attr_set: int, attr_clr: int,
                      recursive: bool = True) -> None:
        """mount_setattr(2) (Linux 5.12): change mount flags, with AT_RECURSIVE for a whole
        tree at once (the "rro" family of mount options)."""
        attr = (_ULong * 4)(attr_set, attr_clr, 0, 0)  # struct mount_attr: 4 u64
        self._check(self._syscall(_Long(_NR_MOUNT_SETATTR), _Int(_AT_FDCWD), _fs(path),
                                  _UInt(_AT_RECURSIVE if recursive else 0),
                                  _ctypes.byref(attr), _ULong(_ctypes.sizeof(attr))),
                    "mount_setattr", path)

    def personality(self, persona: int) -> None:
        nr = self._number(4, "personality")
        self._check(self._syscall(_Long(nr), _ULong(persona)), "personality")

    def default_signal(self, sig: int) -> None:
        """sig back to SIG_DFL with rt_sigaction(2) itself: glibc refuses its own
        reserved signals (32, 33), which a caller may still have left ignored."""
        nr = self._number(6, "rt_sigaction")
        act = bytes(32)  # handler SIG_DFL, no flags, empty mask (only read by the kernel)
        self._check(self._syscall(_Long(nr), _Long(sig), act, None, _Long(8)),
                    f"rt_sigaction({sig})")

    def clone_parent(self) -> int:
        """fork(), except that the child's parent is our parent (CLONE_PARENT).

        Stage 1 makes the container's init this way, as runc's nsexec does: the
        runtime that started stage 1 is then the init's own parent and can wait for
        it, with no need to become a subreaper first."""
        return self.clone(CLONE_PARENT)

    def clone(self, flags: int, cgroup_fd: int | None = None) -> int:
        """fork() with clone(2)'s flags (CLONE_PARENT, or CLONE_NEW* to start the child
        in new namespaces). Python's fork bookkeeping is done around the raw syscall
        exactly as os.fork does it; the GIL is held throughout (a Python-API function).

        With `cgroup_fd` (a cgroup2 directory, open), clone3(2) with CLONE_INTO_CGROUP:
        the child is born in that cgroup, with no write to cgroup.procs (whose first
        use waits for an RCU grace period, ~10 ms here). A kernel without it (before
        5.7, or clone3 refused by a seccomp filter) fails with OSError, no child made."""
        api = self._libc
        raw = api.function("syscall", restype=_Long, kind=_PythonAPIFunction)
        if cgroup_fd is None:
            args: tuple = (_Long(self._number(5, "clone")), _ULong(flags | SIGCHLD), None,
                           None, None, None)
        else:
            # struct clone_args: flags, pidfd, child_tid, parent_tid, exit_signal, stack,
            # stack_size, tls, set_tid, set_tid_size, cgroup (u64 each; no stack: a fork).
            # With CLONE_PARENT, clone3 wants no exit signal (EINVAL): the child takes
            # ours, which is SIGCHLD (a fork's child).
            signal = 0 if flags & CLONE_PARENT else SIGCHLD
            clone_args = (_ULong * 11)(flags | CLONE_INTO_CGROUP, 0, 0, 0, signal, 0, 0, 0,
                                       0, 0, cgroup_fd)
            args = (_Long(_NR_CLONE3), _ctypes.byref(clone_args),
                    _ULong(_ctypes.sizeof(clone_args)))
        before, child, parent = (api.function(f"PyOS_{n}", kind=_PythonAPIFunction)
                                 for n in ("BeforeFork", "AfterFork_Child",
                                           "AfterFork_Parent"))
        before()
        pid = raw(*args)
        if pid == 0:
            child()
            return 0
        err = _ctypes.get_errno()
        parent()
        if pid < 0:
            call = "clone" if cgroup_fd is None else "clone3"
            raise OSError(err, f"{call}: {os.strerror(err)}")
        return pid


_real: LibcSyscalls | None = None


def syscalls() -> LibcSyscalls:
    """The process-wide real Syscalls, made on first use (ctypes costs a few ms)."""
    global _real
    if _real is None:
        _real = LibcSyscalls()
    return _real
