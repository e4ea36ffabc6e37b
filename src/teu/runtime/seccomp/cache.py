"""Compiled seccomp filters kept on disk, so a container start can skip libseccomp.

Building docker's default profile with libseccomp and generating its BPF costs
~15 ms of CPU per container; installing the same BPF program again costs well
under a millisecond. The cache key is the profile's exact JSON plus what shapes
the program: the libseccomp version, the machine and the kernel release.

Layout: <dir>/<sha256 of the key>.bpf = 4 bytes little-endian seccomp(2) flags,
then the program (struct sock_filter[], 8 bytes each). The directory is the
runtime's own (0700, root): a program read from it is trusted as much as the
runtime itself. Files are written whole under a temporary name and renamed.
"""

from __future__ import annotations

import ctypes
import hashlib
import os

from teu import fastjson
from teu.runtime.seccomp.profile import SeccompError

_SECCOMP_SET_MODE_FILTER = 1
_SYS_SECCOMP = {"x86_64": 317, "aarch64": 277}


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class CachedFilter:
    """A BPF program from the cache, installed with seccomp(2) directly."""

    uses_notify = False

    def __init__(self, program: bytes, flags: int) -> None:
        self.program = program
        self.flags = flags

    def load(self) -> None:
        nr = _SYS_SECCOMP.get(os.uname().machine)
        if nr is None:
            raise SeccompError(f"seccomp: no seccomp(2) number for {os.uname().machine}")
        buf = ctypes.create_string_buffer(self.program, len(self.program))
        prog = _SockFprog(len(self.program) // 8, ctypes.cast(buf, ctypes.c_void_p))
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        rc = libc.syscall(ctypes.c_long(nr), ctypes.c_ulong(_SECCOMP_SET_MODE_FILTER),
                          ctypes.c_ulong(self.flags), ctypes.byref(prog))
        if rc < 0:
            err = ctypes.get_errno()
            hint = " (loading needs CAP_SYS_ADMIN, or no_new_privs set first)" \
                if err == 13 else ""
            raise SeccompError(f"linux.seccomp: loading the filter failed: "
                               f"{os.strerror(err)}{hint}")

    def release(self) -> None:
        pass


def key(seccomp: dict, libseccomp_version: str | None) -> str:
    uname = os.uname()
    # "enosys-1": the programs carry enosys.py's stub; older cached ones did not.
    text = "\n".join((fastjson.dumps(seccomp), str(libseccomp_version), uname.machine,
                      uname.release, "enosys-1"))
    return hashlib.sha256(text.encode()).hexdigest()


def lookup(cache_dir: str, name: str) -> CachedFilter | None:
    try:
        with open(os.path.join(cache_dir, name + ".bpf"), "rb") as f:
            data = f.read()
    except OSError:
        return None
    if len(data) < 12 or (len(data) - 4) % 8:
        return None  # not something we wrote: ignore it, it will be rewritten
    return CachedFilter(data[4:], int.from_bytes(data[:4], "little"))


def store(cache_dir: str, name: str, program: bytes, flags: int) -> None:
    """Best effort: a cache that cannot be written only costs the next start time."""
    try:
        os.makedirs(cache_dir, mode=0o700, exist_ok=True)
        # A name of this writer's own, made exclusively: the caller is often pid 1 of a
        # new pid namespace (every container's init), so a pid alone would let two
        # first starts of one profile truncate each other's file and store a torn one.
        tmp = os.path.join(cache_dir, f".{name}.{os.getpid()}.{os.urandom(6).hex()}")
        data = flags.to_bytes(4, "little") + program
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            written = os.write(fd, data)
        finally:
            os.close(fd)
        if written != len(data):  # a full disk: a short file would load as a torn program
            os.unlink(tmp)
            return
        os.replace(tmp, os.path.join(cache_dir, name + ".bpf"))
    except OSError:
        pass


def compile_cached(seccomp: dict, cache_dir: str | None):  # noqa: ANN201
    """The filter for a profile: from the cache when it is there, else built with
    libseccomp (and its program stored for next time). Profiles that use
    SCMP_ACT_NOTIFY are never cached (their load also creates a listener fd)."""
    from teu.runtime.seccomp.filter import _libseccomp, compile_filter, libseccomp_version

    name = key(seccomp, libseccomp_version()) if cache_dir else ""
    if cache_dir:
        hit = lookup(cache_dir, name)
        if hit is not None:
            return hit
    flt = compile_filter(seccomp)
    if flt.uses_notify:
        return flt
    from teu.runtime.seccomp.enosys import patch, stub

    prefix = stub(_libseccomp(), flt.profile)
    if not cache_dir and not prefix:
        return flt
    program, flags = flt.export_bpf()
    program = patch(program, prefix)
    if cache_dir:
        store(cache_dir, name, program, flags)
    if not prefix:
        return flt
    flt.release()
    return CachedFilter(program, flags)  # the patched program is what must be loaded
