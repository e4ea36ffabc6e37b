"""A Profile built into a libseccomp filter context (ctypes), and loaded into the kernel.

libseccomp.so.2 is opened on first use, once: importing this costs only ctypes.
"""

from __future__ import annotations

import ctypes
import os

from teu.runtime.seccomp.profile import (
    _ATTR_API_SYSRAWRC,
    _ATTR_CTL_LOG,
    _ATTR_CTL_NNP,
    _ATTR_CTL_OPTIMIZE,
    _ATTR_CTL_SSB,
    _ATTR_CTL_TSYNC,
    _ATTR_CTL_WAITKILL,
    _OPTIMIZE_ABOVE,
    _WAITKILL_API,
    ARCHES,
    FLAGS,
    Profile,
    Rule,
    SeccompError,
    _condition_groups,
    enabled,
    parse,
)


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
    "seccomp_export_bpf": (_c.c_int, [_c.c_void_p, _c.c_int]),
    "seccomp_attr_get": (_c.c_int, [_c.c_void_p, _c.c_int, _c.POINTER(_c.c_uint32)]),
    "seccomp_version": (_c.POINTER(_Version), []),
}
# The filter attributes that become seccomp(2) flags when libseccomp loads a filter.
_ATTR_KERNEL_FLAGS = ((_ATTR_CTL_TSYNC, 1), (_ATTR_CTL_LOG, 2), (_ATTR_CTL_SSB, 4),
                      (_ATTR_CTL_WAITKILL, 32))
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

    def export_bpf(self) -> tuple[bytes, int]:
        """(the BPF program seccomp_load would install, the seccomp(2) flags it would
        pass): what teu.runtime.seccomp.cache keeps so the next start skips libseccomp."""
        lib = _libseccomp()
        fd = os.memfd_create("teu-seccomp-bpf")
        try:
            rc = lib.seccomp_export_bpf(self._handle(), fd)
            if rc < 0:
                raise SeccompError(f"seccomp: export failed: {_failed(rc)}")
            os.lseek(fd, 0, os.SEEK_SET)
            chunks = []
            while chunk := os.read(fd, 1 << 16):
                chunks.append(chunk)
        finally:
            os.close(fd)
        flags = 0
        value = ctypes.c_uint32()
        for attr, bit in _ATTR_KERNEL_FLAGS:
            if lib.seccomp_attr_get(self._handle(), attr, ctypes.byref(value)) == 0 and value.value:
                flags |= bit
        return b"".join(chunks), flags

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
