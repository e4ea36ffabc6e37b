"""OCI seccomp (`linux.seccomp` of config.json, runtime-spec 1.0-1.3) through libseccomp.

The container init calls this on its way to execve, so importing the module
costs only ctypes and os; libseccomp.so.2 is opened on first use, once. The
work is split in two so a runtime can report profile errors before it forks
and leave only the load to the child:

    flt = compile_filter(config["linux"]["seccomp"])   # validate + build, not loaded
    ...fork...
    flt.load()                                         # in the container init
    if flt.uses_notify:
        fd = flt.notify_fd()   # pass up to the runtime, which calls send_to_listener()

`load(seccomp)` does both steps at once and returns the notify fd, if any.

Semantics follow runc (the reference the peers are tested against):
- syscall names libseccomp does not know are skipped, so one profile works
  across kernels and architectures;
- a rule whose action equals the default action is skipped (libseccomp
  refuses it, and it would change nothing);
- args: one rule with all conditions AND-ed, unless two conditions name the
  same argument index, then one rule per condition (OR), as runc does;
- no_new_privs is not set by the filter (SCMP_FLTATR_CTL_NNP = 0): the runtime
  sets it when process.noNewPrivileges asks, and only then;
- with no `flags` key at all, SECCOMP_FILTER_FLAG_SPEC_ALLOW is used when the
  kernel has it (runc >= 1.2), so seccomp does not force the costly
  speculative-store-bypass mitigation onto the container;
- SCMP_ACT_NOTIFY needs listenerPath, may not be the default action, and may not
  be used on the calls that hand the notify fd over (write, sendmsg).
"""

from __future__ import annotations

import ctypes
import os

from teu.errors import TeuError


class SeccompError(TeuError):
    """A seccomp profile that cannot be built or loaded; the message names the field."""


# --- spec names -> libseccomp values (seccomp.h) ----------------------------------

_ACT_KILL_PROCESS = 0x80000000
_ACT_KILL_THREAD = 0x00000000
_ACT_TRAP = 0x00030000
_ACT_ERRNO = 0x00050000
_ACT_TRACE = 0x7FF00000
_ACT_LOG = 0x7FFC0000
_ACT_NOTIFY = 0x7FC00000
_ACT_ALLOW = 0x7FFF0000

# Action name -> base value; ERRNO and TRACE carry errnoRet in their low 16 bits.
ACTIONS: dict[str, int] = {
    "SCMP_ACT_KILL": _ACT_KILL_THREAD,  # the spec's KILL is libseccomp's KILL (thread)
    "SCMP_ACT_KILL_PROCESS": _ACT_KILL_PROCESS,
    "SCMP_ACT_KILL_THREAD": _ACT_KILL_THREAD,
    "SCMP_ACT_TRAP": _ACT_TRAP,
    "SCMP_ACT_ERRNO": _ACT_ERRNO,
    "SCMP_ACT_TRACE": _ACT_TRACE,
    "SCMP_ACT_ALLOW": _ACT_ALLOW,
    "SCMP_ACT_LOG": _ACT_LOG,
    "SCMP_ACT_NOTIFY": _ACT_NOTIFY,
}
_EPERM = 1

# enum scmp_compare
OPERATORS: dict[str, int] = {
    "SCMP_CMP_NE": 1,
    "SCMP_CMP_LT": 2,
    "SCMP_CMP_LE": 3,
    "SCMP_CMP_EQ": 4,
    "SCMP_CMP_GE": 5,
    "SCMP_CMP_GT": 6,
    "SCMP_CMP_MASKED_EQ": 7,
}

# Spec architecture -> the name seccomp_arch_resolve_name() takes. Which of these
# the installed libseccomp knows is asked at run time (2.6 added the last four).
ARCHES: dict[str, str] = {
    "SCMP_ARCH_X86": "x86",
    "SCMP_ARCH_X86_64": "x86_64",
    "SCMP_ARCH_X32": "x32",
    "SCMP_ARCH_ARM": "arm",
    "SCMP_ARCH_AARCH64": "aarch64",
    "SCMP_ARCH_MIPS": "mips",
    "SCMP_ARCH_MIPS64": "mips64",
    "SCMP_ARCH_MIPS64N32": "mips64n32",
    "SCMP_ARCH_MIPSEL": "mipsel",
    "SCMP_ARCH_MIPSEL64": "mipsel64",
    "SCMP_ARCH_MIPSEL64N32": "mipsel64n32",
    "SCMP_ARCH_PPC": "ppc",
    "SCMP_ARCH_PPC64": "ppc64",
    "SCMP_ARCH_PPC64LE": "ppc64le",
    "SCMP_ARCH_S390": "s390",
    "SCMP_ARCH_S390X": "s390x",
    "SCMP_ARCH_PARISC": "parisc",
    "SCMP_ARCH_PARISC64": "parisc64",
    "SCMP_ARCH_RISCV64": "riscv64",
    "SCMP_ARCH_LOONGARCH64": "loongarch64",
    "SCMP_ARCH_M68K": "m68k",
    "SCMP_ARCH_SH": "sh",
    "SCMP_ARCH_SHEB": "sheb",
}

# enum scmp_filter_attr
_ATTR_CTL_NNP = 3
_ATTR_CTL_TSYNC = 4
_ATTR_CTL_LOG = 6
_ATTR_CTL_SSB = 7
_ATTR_CTL_OPTIMIZE = 8
_ATTR_API_SYSRAWRC = 9
_ATTR_CTL_WAITKILL = 10  # libseccomp >= 2.6

# Filter flag -> the libseccomp attribute that turns it on; order is runc's knownFlags.
FLAGS: dict[str, int] = {
    "SECCOMP_FILTER_FLAG_TSYNC": _ATTR_CTL_TSYNC,
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW": _ATTR_CTL_SSB,
    "SECCOMP_FILTER_FLAG_LOG": _ATTR_CTL_LOG,
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV": _ATTR_CTL_WAITKILL,
}
# libseccomp 2.6 sets WAITKILL without asking the kernel; API level 7 is its
# "the kernel has it" answer.
_WAITKILL_API = 7

# After load the init hands the notify fd over with these; a NOTIFY rule on them
# would block the init until an agent that has not got the fd yet answers.
_NOTIFY_FORBIDDEN = frozenset({"write", "sendmsg"})

_MAX_ARGS = 6  # a Linux syscall has at most 6 arguments
# errnoRet limits: TRACE passes SECCOMP_RET_DATA's 16 bits to the tracer; ERRNO
# must stay below MAX_ERRNO (4095) or libseccomp refuses the rule.
_ERRNO_RET_LIMIT = {"SCMP_ACT_ERRNO": 4095, "SCMP_ACT_TRACE": 0x10000}
_U64 = 1 << 64
# runc's threshold: above it libseccomp's binary-tree layout makes lookups cheaper.
_OPTIMIZE_ABOVE = 32

SECCOMP_FD_NAME = "seccompFd"  # runtime-spec ContainerProcessState.fds entry
_SPEC_VERSION = "1.3.0"


# --- parsed profile (pure Python: no libseccomp needed) --------------------------

class Rule:
    """One `syscalls` entry: names, the action value, and (index, op, a, b) conditions."""

    __slots__ = ("names", "action", "conditions", "field")

    def __init__(self, names: tuple[str, ...], action: int,
                 conditions: tuple[tuple[int, int, int, int], ...], field: str) -> None:
        self.names = names
        self.action = action
        self.conditions = conditions
        self.field = field


class Profile:
    """A validated `linux.seccomp`, with every name turned into a libseccomp value."""

    __slots__ = ("default_action", "arches", "flags", "rules",
                 "listener_path", "listener_metadata")

    def __init__(self, default_action: int, arches: list[str], flags: list[str] | None,
                 rules: list[Rule], listener_path: str, listener_metadata: str) -> None:
        self.default_action = default_action
        self.arches = arches  # spec names, e.g. SCMP_ARCH_X86
        self.flags = flags  # None: the key was absent (runc's default applies)
        self.rules = rules
        self.listener_path = listener_path
        self.listener_metadata = listener_metadata

    @property
    def uses_notify(self) -> bool:
        return any(r.action == _ACT_NOTIFY for r in self.rules)


def enabled(seccomp: dict | None) -> bool:
    """False when there is nothing to load: runc ignores a profile with no
    defaultAction and no syscalls."""
    return bool(seccomp) and bool(seccomp.get("defaultAction") or seccomp.get("syscalls"))


def _uint(value: object, field: str, limit: int) -> int:
    # JSON true/false are ints to Python; a profile that says `"index": true` is wrong.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < limit:
        raise SeccompError(f"{field}: must be an integer from 0 to {limit - 1}, not {value!r}")
    return value


def _known(name: object, table: dict) -> bool:
    # A JSON list or object where a name belongs is unhashable: test the type first.
    return isinstance(name, str) and name in table


def _list(value: object, field: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise SeccompError(f"{field}: must be a list, not {type(value).__name__}")
    return value


def _string(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise SeccompError(f"{field}: must be a string, not {value!r}")
    return value


def action_value(name: object, errno_ret: object, field: str) -> int:
    """The libseccomp action for a spec action name and its optional errnoRet."""
    if not _known(name, ACTIONS):
        raise SeccompError(f"{field}: unknown action {name!r}")
    assert isinstance(name, str)
    if name not in _ERRNO_RET_LIMIT:
        # The spec: an errnoRet on an action that takes none MUST fail.
        if errno_ret is not None:
            raise SeccompError(f"{field}: {name} takes no errnoRet (only "
                               f"SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)")
        return ACTIONS[name]
    ret = _EPERM if errno_ret is None else _uint(errno_ret, f"{field} errnoRet",
                                                  _ERRNO_RET_LIMIT[name])
    return ACTIONS[name] | ret


def _condition(arg: object, field: str) -> tuple[int, int, int, int]:
    if not isinstance(arg, dict):
        raise SeccompError(f"{field}: must be an object, not {arg!r}")
    index = _uint(arg.get("index"), f"{field}.index", _MAX_ARGS)
    op_name = arg.get("op")
    if not _known(op_name, OPERATORS):
        raise SeccompError(f"{field}.op: unknown operator {op_name!r}")
    value = _uint(arg.get("value", 0), f"{field}.value", _U64)
    value_two = _uint(arg.get("valueTwo", 0), f"{field}.valueTwo", _U64)
    return index, OPERATORS[op_name], value, value_two


def _rule(entry: object, field: str) -> Rule:
    if not isinstance(entry, dict):
        raise SeccompError(f"{field}: must be an object, not {entry!r}")
    names = _list(entry.get("names"), f"{field}.names")
    for i, name in enumerate(names):
        if not isinstance(name, str) or not name:
            raise SeccompError(f"{field}.names[{i}]: must be a syscall name, not {name!r}")
    action = action_value(entry.get("action"), entry.get("errnoRet"), f"{field}.action")
    conditions = tuple(_condition(a, f"{field}.args[{i}]")
                       for i, a in enumerate(_list(entry.get("args"), f"{field}.args")))
    if action == _ACT_NOTIFY:
        clash = _NOTIFY_FORBIDDEN.intersection(names)
        if clash:
            raise SeccompError(f"{field}: SCMP_ACT_NOTIFY cannot be used for "
                               f"{', '.join(sorted(clash))}: the runtime needs it to hand "
                               f"over the notify fd")
    return Rule(tuple(names), action, conditions, field)


def _flags(value: object, field: str) -> list[str] | None:
    if value is None:
        return None
    flags = _list(value, field)
    for i, flag in enumerate(flags):
        if not _known(flag, FLAGS):
            raise SeccompError(f"{field}[{i}]: unknown seccomp flag {flag!r}")
    return flags


def _arches(value: object, field: str) -> list[str]:
    arches = _list(value, field)
    for i, arch in enumerate(arches):
        if not _known(arch, ARCHES):
            raise SeccompError(f"{field}[{i}]: unknown architecture {arch!r}")
    return arches


def parse(seccomp: dict, field: str = "linux.seccomp") -> Profile:
    """Validate a `linux.seccomp` object; every error names the field at fault."""
    if not isinstance(seccomp, dict):
        raise SeccompError(f"{field}: must be an object, not {type(seccomp).__name__}")
    if "defaultAction" not in seccomp:
        raise SeccompError(f"{field}.defaultAction: required")
    default = action_value(seccomp["defaultAction"], seccomp.get("defaultErrnoRet"),
                           f"{field}.defaultAction")
    if default == _ACT_NOTIFY:
        # Every call, the fd hand-over included, would wait for an agent.
        raise SeccompError(f"{field}.defaultAction: SCMP_ACT_NOTIFY cannot be the default")
    rules = [_rule(e, f"{field}.syscalls[{i}]")
             for i, e in enumerate(_list(seccomp.get("syscalls"), f"{field}.syscalls"))]
    path = _string(seccomp.get("listenerPath", ""), f"{field}.listenerPath")
    meta = _string(seccomp.get("listenerMetadata", ""), f"{field}.listenerMetadata")
    profile = Profile(default, _arches(seccomp.get("architectures"), f"{field}.architectures"),
                      _flags(seccomp.get("flags"), f"{field}.flags"), rules, path, meta)
    if profile.uses_notify and not path:
        raise SeccompError(f"{field}.listenerPath: required when SCMP_ACT_NOTIFY is used")
    return profile


def _condition_groups(conditions: tuple[tuple[int, int, int, int], ...],
                      ) -> list[tuple[tuple[int, int, int, int], ...]]:
    """The condition sets to add as rules: all AND-ed in one, or, as runc does when
    two conditions test the same argument, one rule each (so they OR)."""
    indexes = [c[0] for c in conditions]
    if len(set(indexes)) == len(indexes):
        return [conditions]
    return [(c,) for c in conditions]


# --- libseccomp through ctypes -----------------------------------------------------

class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


class _Version(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint), ("minor", ctypes.c_uint), ("micro", ctypes.c_uint)]


_c = ctypes
_PROTOTYPES: dict[str, tuple[object, list]] = {
    "seccomp_init": (_c.c_void_p, [_c.c_uint32]),
    "seccomp_release": (None, [_c.c_void_p]),
    "seccomp_load": (_c.c_int, [_c.c_void_p]),
    "seccomp_arch_add": (_c.c_int, [_c.c_void_p, _c.c_uint32]),
    "seccomp_arch_resolve_name": (_c.c_uint32, [_c.c_char_p]),
    "seccomp_attr_set": (_c.c_int, [_c.c_void_p, _c.c_int, _c.c_uint32]),
    "seccomp_syscall_resolve_name": (_c.c_int, [_c.c_char_p]),
    "seccomp_rule_add_array": (_c.c_int, [_c.c_void_p, _c.c_uint32, _c.c_int, _c.c_uint,
                                          _c.POINTER(_ArgCmp)]),
    "seccomp_api_get": (_c.c_uint, []),
    "seccomp_notify_fd": (_c.c_int, [_c.c_void_p]),
    "seccomp_export_pfc": (_c.c_int, [_c.c_void_p, _c.c_int]),
    "seccomp_version": (_c.POINTER(_Version), []),
}
_NR_SCMP_ERROR = -1  # seccomp_syscall_resolve_name: name unknown to libseccomp
_LIBRARY = "libseccomp.so.2"
_lib: ctypes.CDLL | None = None


def _libseccomp() -> ctypes.CDLL:
    """libseccomp, opened and prototyped on first use."""
    global _lib
    if _lib is None:
        try:
            lib = ctypes.CDLL(_LIBRARY)
        except OSError as e:
            raise SeccompError(f"seccomp: cannot load {_LIBRARY} ({e}); install the "
                               f"Debian package libseccomp2") from None
        for name, (restype, argtypes) in _PROTOTYPES.items():
            fn = getattr(lib, name)
            fn.restype = restype
            fn.argtypes = argtypes
        _lib = lib
    return _lib


def libseccomp_version() -> str | None:
    """'2.5.4', or None when libseccomp is missing (for runc-style `features` annotations)."""
    try:
        v = _libseccomp().seccomp_version().contents
    except SeccompError:
        return None
    return f"{v.major}.{v.minor}.{v.micro}"


def _failed(rc: int) -> str:
    return os.strerror(-rc) if rc < 0 else f"error {rc}"


class Filter:
    """A built, not yet loaded, libseccomp filter context."""

    def __init__(self, ctx: int, profile: Profile) -> None:
        self._ctx: int | None = ctx
        self.profile = profile

    @property
    def uses_notify(self) -> bool:
        return self.profile.uses_notify

    def _handle(self) -> int:
        if self._ctx is None:
            raise SeccompError("seccomp: the filter was already released")
        return self._ctx

    def load(self) -> None:
        """Install the filter on this process (seccomp_load): from here on it holds."""
        rc = _libseccomp().seccomp_load(self._handle())
        if rc < 0:
            hint = ""
            if -rc == 13:  # EACCES: the kernel wants CAP_SYS_ADMIN or no_new_privs
                hint = " (loading needs CAP_SYS_ADMIN, or no_new_privs set first)"
            raise SeccompError(f"linux.seccomp: loading the filter failed: "
                               f"{_failed(rc)}{hint}")

    def notify_fd(self) -> int:
        """The SCMP_ACT_NOTIFY listener fd (close-on-exec), after load()."""
        fd = _libseccomp().seccomp_notify_fd(self._handle())
        if fd < 0:
            raise SeccompError("linux.seccomp: no notify fd: the loaded filter has no "
                               "SCMP_ACT_NOTIFY rule")
        return fd

    def export_pfc(self) -> str:
        """The filter as libseccomp's pseudo filter code: what a rule turned into."""
        fd = os.memfd_create("teu-seccomp-pfc")
        try:
            rc = _libseccomp().seccomp_export_pfc(self._handle(), fd)
            if rc < 0:
                raise SeccompError(f"seccomp: export failed: {_failed(rc)}")
            os.lseek(fd, 0, os.SEEK_SET)
            chunks = []
            while chunk := os.read(fd, 1 << 16):
                chunks.append(chunk)
            return b"".join(chunks).decode()
        finally:
            os.close(fd)

    def release(self) -> None:
        """Free the context; a loaded filter stays in force, so does the notify fd."""
        if self._ctx is not None:
            _libseccomp().seccomp_release(self._ctx)
            self._ctx = None

    def __enter__(self) -> Filter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _set_flags(lib: ctypes.CDLL, ctx: int, profile: Profile) -> None:
    flags = profile.flags
    if flags is None:
        # runc >= 1.2: no flags key means SPEC_ALLOW where the kernel has it; an
        # old kernel just keeps the mitigation, so the result is not checked.
        lib.seccomp_attr_set(ctx, _ATTR_CTL_SSB, 1)
        return
    for i, flag in enumerate(flags):
        if not _flag_works(lib, ctx, flag):
            raise SeccompError(f"linux.seccomp.flags[{i}]: {flag} is not supported by this "
                               f"kernel and libseccomp {libseccomp_version()}")


def _flag_works(lib: ctypes.CDLL, ctx: int, flag: str) -> bool:
    if flag == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" and lib.seccomp_api_get() < _WAITKILL_API:
        return False
    return lib.seccomp_attr_set(ctx, FLAGS[flag], 1) == 0


def _add_arches(lib: ctypes.CDLL, ctx: int, arches: list[str]) -> None:
    for i, arch in enumerate(arches):
        field = f"linux.seccomp.architectures[{i}]"
        token = lib.seccomp_arch_resolve_name(ARCHES[arch].encode())
        if token == 0:
            raise SeccompError(f"{field}: {arch} is not known to libseccomp "
                               f"{libseccomp_version()}")
        rc = lib.seccomp_arch_add(ctx, token)
        if rc == -17:  # EEXIST: the native architecture is always in the filter
            continue
        if rc < 0:
            why = _failed(rc)
            if rc == -33:  # EDOM: libseccomp keeps one byte order per filter
                why = "its byte order differs from the native architecture's"
            raise SeccompError(f"{field}: cannot add {arch}: {why}")


def _condition_array(conds: tuple[tuple[int, int, int, int], ...]) -> ctypes.Array | None:
    if not conds:
        return None
    return (_ArgCmp * len(conds))(*(_ArgCmp(*c) for c in conds))


def _add_rule(lib: ctypes.CDLL, ctx: int, rule: Rule) -> None:
    arrays = [(len(g), _condition_array(g)) for g in _condition_groups(rule.conditions)]
    for name in rule.names:
        nr = lib.seccomp_syscall_resolve_name(name.encode())
        if nr == _NR_SCMP_ERROR:
            continue  # unknown to libseccomp: skipped for portability, as runc does
        for count, array in arrays:
            rc = lib.seccomp_rule_add_array(ctx, rule.action, nr, count, array)
            if rc < 0:
                raise SeccompError(f"{rule.field}: cannot add a rule for {name}: "
                                   f"{_failed(rc)}")


def _build(lib: ctypes.CDLL, ctx: int, profile: Profile) -> None:
    # The runtime, not the filter, sets no_new_privs, and only if the spec asks.
    _check_attr(lib.seccomp_attr_set(ctx, _ATTR_CTL_NNP, 0), "no_new_privs off")
    # Real kernel errnos from seccomp_load instead of a blanket ECANCELED.
    lib.seccomp_attr_set(ctx, _ATTR_API_SYSRAWRC, 1)
    _add_arches(lib, ctx, profile.arches)
    _set_flags(lib, ctx, profile)
    if sum(len(r.names) for r in profile.rules) > _OPTIMIZE_ABOVE:
        lib.seccomp_attr_set(ctx, _ATTR_CTL_OPTIMIZE, 2)  # older libseccomp: keep default
    for rule in profile.rules:
        if rule.action != profile.default_action:  # redundant, and libseccomp refuses it
            _add_rule(lib, ctx, rule)


def _check_attr(rc: int, what: str) -> None:
    if rc < 0:
        raise SeccompError(f"linux.seccomp: cannot set {what}: {_failed(rc)}")


def compile_filter(seccomp: dict) -> Filter:
    """Validate `linux.seccomp` and build its filter (not loaded; see Filter.load)."""
    profile = parse(seccomp)
    lib = _libseccomp()
    ctx = lib.seccomp_init(profile.default_action)
    if not ctx:
        raise SeccompError("linux.seccomp.defaultAction: libseccomp or the kernel does not "
                           "support this action")
    try:
        _build(lib, ctx, profile)
    except BaseException:
        lib.seccomp_release(ctx)
        raise
    return Filter(ctx, profile)


def load(seccomp: dict | None) -> int | None:
    """Build and load `linux.seccomp` on this process.

    Returns the notify fd when the profile uses SCMP_ACT_NOTIFY (see
    send_to_listener), else None; does nothing for a disabled profile.
    """
    if not enabled(seccomp):
        return None
    assert seccomp is not None
    with compile_filter(seccomp) as flt:
        flt.load()
        return flt.notify_fd() if flt.uses_notify else None


def send_to_listener(seccomp: dict, notify_fd: int, state: dict) -> None:
    """Send the notify fd to `listenerPath` with the runtime-spec ContainerProcessState.

    `state` is the container's runtime-spec state (ociVersion, id, status, pid,
    bundle, annotations); its pid is the container process as the runtime sees
    it. One connection, one message, then closed, as the spec requires. The
    path is the host's, so call this from the runtime's side: the init passes
    the fd up (e.g. socket.send_fds on its sync socket) after Filter.load().
    """
    import json  # only NOTIFY profiles pay for it
    import socket

    path = seccomp.get("listenerPath") or ""
    if not path:
        raise SeccompError("linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used")
    message: dict = {"ociVersion": state.get("ociVersion") or _SPEC_VERSION,
                     "fds": [SECCOMP_FD_NAME], "pid": state.get("pid", 0), "state": state}
    if seccomp.get("listenerMetadata"):
        message["metadata"] = seccomp["listenerMetadata"]
    data = json.dumps(message).encode()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(path)
            sent = socket.send_fds(sock, [data], [notify_fd])
            if sent < len(data):
                sock.sendall(data[sent:])  # the fd went with the first bytes
    except OSError as e:
        raise SeccompError(f"linux.seccomp.listenerPath: cannot send the seccomp fd to "
                           f"{path}: {e.strerror or e}") from None


def _supported_actions(lib: ctypes.CDLL) -> list[str]:
    names = []
    for name, base in sorted(ACTIONS.items()):
        ctx = lib.seccomp_init(base | (_EPERM if name in _ERRNO_RET_LIMIT else 0))
        if ctx:
            lib.seccomp_release(ctx)
            names.append(name)
    return names


def _supported_flags(lib: ctypes.CDLL) -> list[str]:
    ctx = lib.seccomp_init(_ACT_ALLOW)
    if not ctx:
        return []
    try:
        return [flag for flag in FLAGS if _flag_works(lib, ctx, flag)]
    finally:
        lib.seccomp_release(ctx)


def features() -> dict:
    """The `linux.seccomp` part of `runc features`, for this libseccomp and kernel."""
    try:
        lib = _libseccomp()
    except SeccompError:
        return {"enabled": False}
    return {
        "enabled": True,
        "actions": _supported_actions(lib),
        "operators": sorted(OPERATORS),
        "archs": sorted(a for a, n in ARCHES.items() if lib.seccomp_arch_resolve_name(n.encode())),
        "knownFlags": list(FLAGS),
        "supportedFlags": _supported_flags(lib),
    }
