"""Device rules on cgroup v2: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE.

cgroup v2 has no devices controller; the kernel asks the eBPF programs attached
to the cgroup instead. `assemble()` turns a devices.State (v1 semantics, see
devices.py) into such a program, by hand: teu has no compiler or libbpf to call.
`install()` loads it with bpf(2) through ctypes and attaches it with
BPF_F_ALLOW_MULTI (so a container can still attach programs below), then
detaches the programs it replaces, so an update never leaves a window with no
rules.

This module is imported only when a v2 cgroup gets device rules: ctypes costs
milliseconds on the start path.
"""

from __future__ import annotations

import os
import platform
import struct

from .devices import State
from .fs import CgroupError

# linux/bpf.h
BPF_PROG_LOAD = 5
BPF_PROG_ATTACH = 8
BPF_PROG_DETACH = 9
BPF_PROG_GET_FD_BY_ID = 13
BPF_PROG_QUERY = 16
BPF_PROG_TYPE_CGROUP_DEVICE = 15
BPF_CGROUP_DEVICE = 6
BPF_F_ALLOW_MULTI = 2
_DEV_TYPE = {"b": 1, "c": 2}           # BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_DEV_CHAR
_ACCESS = {"m": 1, "r": 2, "w": 4}     # BPF_DEVCG_ACC_MKNOD, _READ, _WRITE
_SYS_BPF = {"x86_64": 321, "aarch64": 280, "ppc64le": 361, "s390x": 351, "riscv64": 280}

# Opcodes (class | op | source) and registers used below.
_LDX_W = 0x61      # dst = *(u32 *)(src + off)
_AND64_K = 0x57    # dst &= imm
_RSH64_K = 0x77    # dst >>= imm
_MOV64_K = 0xB7    # dst = imm
_MOV64_X = 0xBF    # dst = src
_JEQ_K = 0x15      # if dst == imm goto +off
_JNE_K = 0x55      # if dst != imm goto +off
_JSET_K = 0x45     # if dst & imm goto +off
_EXIT = 0x95
_R0, _R1, _TYPE, _ACC, _MAJOR, _MINOR, _TMP = 0, 1, 2, 3, 4, 5, 6


def _insn(code: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    return struct.pack("<BBhi", code, (src << 4) | dst, off, imm)


def assemble(state: State) -> bytes:
    """The program: load the request, test each exception, else the default."""
    # struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major, minor; }
    prog = [
        _insn(_LDX_W, _TYPE, _R1, 0), _insn(_AND64_K, _TYPE, imm=0xFFFF),
        _insn(_LDX_W, _ACC, _R1, 0), _insn(_RSH64_K, _ACC, imm=16),
        _insn(_LDX_W, _MAJOR, _R1, 4), _insn(_LDX_W, _MINOR, _R1, 8),
    ]
    verdict = 0 if state.default_allow else 1  # what a matching exception decides
    for (type_, major, minor), access in state.exceptions.items():
        prog += _block(type_, major, minor, access, state.default_allow, verdict)
    prog += [_insn(_MOV64_K, _R0, imm=int(state.default_allow)), _insn(_EXIT)]
    return b"".join(prog)


def _block(type_: str, major: int | None, minor: int | None, access: str,
           default_allow: bool, verdict: int) -> list[bytes]:
    """One exception: each test jumps past the block when the request does not match."""
    bits = sum(_ACCESS[c] for c in access)
    tests: list[tuple[int, int, int, int]] = [(_JNE_K, _TYPE, 0, _DEV_TYPE[type_])]
    if not default_allow:
        # A grant matches when the request asks nothing beyond it (kernel: subset).
        if bits != 7:
            tests.append((_JSET_K, _ACC, 0, 7 & ~bits))
    elif bits != 7:
        # A denial matches when the request overlaps it (kernel: partial match).
        tests += [(_MOV64_X, _TMP, _ACC, 0), (_AND64_K, _TMP, 0, bits), (_JEQ_K, _TMP, 0, 0)]
    if major is not None:
        tests.append((_JNE_K, _MAJOR, 0, major))
    if minor is not None:
        tests.append((_JNE_K, _MINOR, 0, minor))
    length = len(tests) + 2
    out = []
    for i, (code, dst, src, imm) in enumerate(tests):
        is_jump = code in (_JNE_K, _JEQ_K, _JSET_K)
        out.append(_insn(code, dst, src, length - (i + 1) if is_jump else 0, imm))
    return out + [_insn(_MOV64_K, _R0, imm=verdict), _insn(_EXIT)]


def run(program: bytes, type_: str, major: int, minor: int, access: str) -> bool:
    """Interpret `program` for one request: the unit tests' stand-in for the kernel."""
    regs = [0] * 11
    ctx = ((sum(_ACCESS[c] for c in access) << 16) | _DEV_TYPE[type_], major, minor)
    pc = 0
    while True:
        code, regbyte, off, imm = struct.unpack_from("<BBhi", program, pc * 8)
        dst, src = regbyte & 0xF, regbyte >> 4
        pc += 1
        if code == _LDX_W:
            regs[dst] = ctx[off // 4]
        elif code == _AND64_K:
            regs[dst] &= imm
        elif code == _RSH64_K:
            regs[dst] >>= imm
        elif code == _MOV64_K:
            regs[dst] = imm
        elif code == _MOV64_X:
            regs[dst] = regs[src]
        elif code == _EXIT:
            return regs[0] == 1
        elif (code == _JEQ_K and regs[dst] == imm) or (code == _JNE_K and regs[dst] != imm) \
                or (code == _JSET_K and regs[dst] & imm):
            pc += off


def install(cgroup_dir: str, state: State) -> None:
    """Attach the program for `state` to the cgroup, replacing the ones we attached before."""
    bpf = _Bpf()
    program = assemble(state)
    dirfd = os.open(cgroup_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        old_ids = bpf.query(dirfd)
        prog_fd = bpf.load(program)
        try:
            bpf.attach(dirfd, prog_fd)
        finally:
            os.close(prog_fd)
        for prog_id in old_ids:
            bpf.detach_id(dirfd, prog_id)
    finally:
        os.close(dirfd)


def attached(cgroup_dir: str) -> list[int]:
    """The ids of the device programs attached to this cgroup itself."""
    dirfd = os.open(cgroup_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        return _Bpf().query(dirfd)
    finally:
        os.close(dirfd)


class _Bpf:
    """The four bpf(2) commands we need, with attrs packed as linux/bpf.h lays them out."""

    def __init__(self) -> None:
        import ctypes  # here, not at import: see the module docstring

        self._ctypes = ctypes
        nr = _SYS_BPF.get(platform.machine())
        if nr is None:
            raise CgroupError(f"cgroup: bpf(2) number unknown on {platform.machine()}; "
                              "device rules cannot be enforced on cgroup v2")
        self._nr = nr
        self._syscall = ctypes.CDLL(None, use_errno=True).syscall
        self._syscall.restype = ctypes.c_long

    def _call(self, cmd: int, attr: bytearray, what: str) -> int:
        ctypes = self._ctypes
        buf = (ctypes.c_char * len(attr)).from_buffer(attr)
        rc = self._syscall(ctypes.c_long(self._nr), ctypes.c_long(cmd), buf,
                           ctypes.c_uint(len(attr)))
        if rc < 0:
            err = ctypes.get_errno()
            raise CgroupError(f"cgroup: bpf {what}: {os.strerror(err)}")
        return rc

    def load(self, program: bytes) -> int:
        ctypes = self._ctypes
        insns = ctypes.create_string_buffer(program, len(program))
        license_ = ctypes.create_string_buffer(b"Apache-2.0")
        log = ctypes.create_string_buffer(4096)
        attr = bytearray(72)
        struct.pack_into("<IIQQIIQ", attr, 0, BPF_PROG_TYPE_CGROUP_DEVICE, len(program) // 8,
                         ctypes.addressof(insns), ctypes.addressof(license_),
                         1, len(log), ctypes.addressof(log))
        attr[48:48 + 10] = b"teu_device"
        struct.pack_into("<I", attr, 68, BPF_CGROUP_DEVICE)  # expected_attach_type
        try:
            return self._call(BPF_PROG_LOAD, attr, "load of the device program")
        except CgroupError as e:
            verifier = log.value.decode(errors="replace").strip().splitlines()[-1:]
            raise CgroupError(f"{e} {verifier}" if verifier else str(e)) from None

    def attach(self, dirfd: int, prog_fd: int) -> None:
        attr = bytearray(struct.pack("<IIII", dirfd, prog_fd, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI))
        self._call(BPF_PROG_ATTACH, attr, "attach of the device program")

    def query(self, dirfd: int) -> list[int]:
        ctypes = self._ctypes
        ids = (ctypes.c_uint32 * 64)()
        attr = bytearray(32)
        struct.pack_into("<IIIIQI", attr, 0, dirfd, BPF_CGROUP_DEVICE, 0, 0,
                         ctypes.addressof(ids), len(ids))
        self._call(BPF_PROG_QUERY, attr, "query of device programs")
        count = struct.unpack_from("<I", attr, 24)[0]
        return list(ids[:count])

    def detach_id(self, dirfd: int, prog_id: int) -> None:
        attr = bytearray(struct.pack("<III", prog_id, 0, 0))
        try:
            fd = self._call(BPF_PROG_GET_FD_BY_ID, attr, "get of an old device program")
        except CgroupError:
            return  # gone already
        try:
            attr = bytearray(struct.pack("<IIII", dirfd, fd, BPF_CGROUP_DEVICE, 0))
            self._call(BPF_PROG_DETACH, attr, "detach of an old device program")
        finally:
            os.close(fd)
