"""ENOSYS for system calls newer than the profile: a stub in front of libseccomp's program.

A profile lists the calls it knows; a call the kernel added later falls to the
default action, often an errno such as EPERM. libc then cannot tell "forbidden"
from "not there" and does not fall back (clone3 to clone, faccessat2 to
faccessat, ...). runc's answer, which teu follows: a call numbered above the
highest one the profile names (for the native architecture, and x32 on x86_64)
gets ENOSYS. Profiles whose default action lets calls through need no stub.

BPF (struct sock_filter: u16 code, u8 jt, u8 jf, u32 k) on seccomp_data
(nr at offset 0, arch at offset 4). The stub ends by falling into the original
program, whose first instruction loads the arch again (checked before patching).
"""

from __future__ import annotations

import ctypes
import os
import struct

from teu.runtime.seccomp.profile import Profile

_LD_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ, _JGT, _JSET, _RET = 0x15, 0x25, 0x45, 0x06  # BPF_JMP | op | BPF_K; BPF_RET | BPF_K
_RET_ERRNO, _ENOSYS = 0x00050000, 38
_X32_BIT = 0x40000000
# machine -> (AUDIT_ARCH_*, libseccomp's token for it, token of x32 or None)
_NATIVE = {"x86_64": (0xC000003E, 0xC000003E, 0x4000003E), "aarch64": (0xC00000B7, 0xC00000B7,
                                                                       None)}
# Default actions that let a call through (nothing to fall back from): no stub.
_ALLOWING = (0x7FFF0000, 0x7FFC0000, 0x7FF00000)  # ALLOW, LOG, TRACE (its data masked)
_INSN = struct.Struct("<HBBI")


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return _INSN.pack(code, jt, jf, k)


def _largest(lib: ctypes.CDLL, profile: Profile, arch_token: int) -> int:
    resolve = lib.seccomp_syscall_resolve_name_arch
    resolve.restype, resolve.argtypes = ctypes.c_int, [ctypes.c_uint32, ctypes.c_char_p]
    numbers = [resolve(arch_token, name.encode()) for r in profile.rules for name in r.names]
    return max((n for n in numbers if n >= 0), default=-1)


def stub(lib: ctypes.CDLL, profile: Profile) -> bytes:
    """The instructions to put in front of the program (b"" when none are needed)."""
    native = _NATIVE.get(os.uname().machine)
    if native is None or profile.default_action & 0xFFFF0000 in _ALLOWING:
        return b""
    audit_arch, token, x32_token = native
    top = _largest(lib, profile, token)
    if top < 0:
        return b""
    x32 = _largest(lib, profile, x32_token) if x32_token and "SCMP_ARCH_X32" in profile.arches \
        else -1
    # 0 ld arch; 1 jeq native; 2 ld nr; 3 jset x32 bit; 4 jgt x32 top; 5 jgt top; 6 ret ENOSYS
    # then the original program at 7. Jump offsets count from the next instruction.
    code = [_insn(_LD_ABS, 0, 0, 4), _insn(_JEQ, 0, 5, audit_arch), _insn(_LD_ABS, 0, 0, 0)]
    if x32 >= 0:
        code += [_insn(_JSET, 0, 1, _X32_BIT), _insn(_JGT, 1, 2, x32)]
    else:  # x32 calls go on to the program (whose arch check refuses them)
        code += [_insn(_JSET, 3, 1, _X32_BIT), _insn(_JGT, 2, 2, 0xFFFFFFFF)]
    code += [_insn(_JGT, 0, 1, top), _insn(_RET, 0, 0, _RET_ERRNO | _ENOSYS)]
    return b"".join(code)


def patch(program: bytes, prefix: bytes) -> bytes:
    """prefix + program, if the program starts by loading the arch (libseccomp's do)."""
    if not prefix or program[:8] != _insn(_LD_ABS, 0, 0, 4):
        return program
    return prefix + program
