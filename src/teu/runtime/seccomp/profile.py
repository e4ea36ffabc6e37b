"""linux.seccomp as the spec writes it: names to libseccomp values, checked field by field.

Pure: no libseccomp here, so profile errors are found (and unit-tested) without it.
"""

from __future__ import annotations

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
            raise SeccompError(f"{field}: SCMP_ACT_NOTIFY cannot be used for the "
                               f"{' and '.join(sorted(clash))} syscall: the runtime needs it "
                               f"to hand over the notify fd")
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
