"""The bpf() system call through ctypes, a small eBPF instruction encoder, and the
programs of teu's socket-level redirect of published ports (teu.network.socklb).

No compiler is needed: the programs are a few dozen instruction slots each, written below
with the encoder, one documented instruction a line, and checked by the kernel's verifier
when they are loaded. The encoder follows the kernel's instruction set
(Documentation/bpf/standardization/instruction-set.rst): every instruction is 8 bytes,

    u8 opcode | u8 dst_reg:4 (low nibble), src_reg:4 | s16 offset | s32 immediate

in the machine's byte order, and a 64-bit load of a map (`ld_map_fd`) takes two slots.

The programs run at cgroup/connect4,6, sendmsg4,6, getpeername4,6 and recvmsg4,6
(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, context `struct bpf_sock_addr`: user_ip4 at offset 4,
user_ip6 at 8, user_port at 24, protocol at 36, addresses and ports in network byte order
as the socket address holds them):

connect4: a TCP (or UDP) connect() from a socket of the network namespace a published
port belongs to, to that port on the bound host address (or any 127.0.0.0/8 address for a
wildcard binding), is sent straight to the container's address: the key
{netns cookie, address, port, protocol} is looked up in PORTS; on a hit the original
destination is kept in REVNAT under the socket's cookie and the destination rewritten.
Anything else (other namespaces, other ports, SCTP) passes untouched. The program always
returns 1 (allow): it can redirect a connect, never refuse one. connect6 is the same for
IPv6 (::1 for a wildcard binding); sendmsg4,6 for a UDP sendto().

getpeername4,6: a socket found in REVNAT reports the address it connected to
(127.0.0.1:8080), not the container's, so the redirect is invisible to the client;
recvmsg4,6 do the same for the source of a datagram answering a redirected sendto().
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct
import sys

# --- the instruction encoder ----------------------------------------------------------

# registers
R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 = range(11)
# instruction classes, sizes, modes, operations (include/uapi/linux/bpf*.h)
LD, LDX, ST, STX, ALU, JMP, ALU64 = 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x07
W, H, B, DW = 0x00, 0x08, 0x10, 0x18
IMM, MEM = 0x00, 0x60
K, X = 0x00, 0x08  # source: the immediate, or src_reg
ADD, AND, LSH, RSH, MOV = 0x00, 0x50, 0x60, 0x70, 0xB0
JA, JEQ, JGT, JSET, JNE, CALL, EXIT = 0x00, 0x10, 0x20, 0x40, 0x50, 0x80, 0x90
PSEUDO_MAP_FD = 1
SIZES = {1: B, 2: H, 4: W, 8: DW}

# helpers (enum bpf_func_id)
MAP_LOOKUP_ELEM, MAP_UPDATE_ELEM, GET_SOCKET_COOKIE, GET_NETNS_COOKIE = 1, 2, 46, 122


def insn(code: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    """One 8-byte instruction."""
    return struct.pack("=BBhi", code, (src << 4) | dst, off, imm)


def mov_reg(dst: int, src: int) -> bytes:
    return insn(ALU64 | MOV | X, dst, src)


def mov_imm(dst: int, imm: int) -> bytes:
    return insn(ALU64 | MOV | K, dst, imm=imm)


def alu_imm(op: int, dst: int, imm: int) -> bytes:
    return insn(ALU64 | op | K, dst, imm=imm)


def load(size: int, dst: int, src: int, off: int) -> bytes:
    """dst = *(uSIZE *)(src + off)"""
    return insn(LDX | MEM | SIZES[size], dst, src, off)


def store(size: int, dst: int, off: int, src: int) -> bytes:
    """*(uSIZE *)(dst + off) = src"""
    return insn(STX | MEM | SIZES[size], dst, src, off)


def store_imm(size: int, dst: int, off: int, imm: int) -> bytes:
    """*(uSIZE *)(dst + off) = imm"""
    return insn(ST | MEM | SIZES[size], dst, off=off, imm=imm)


def jump_imm(op: int, dst: int, imm: int, off: int) -> bytes:
    """if dst OP imm: skip `off` instructions"""
    return insn(JMP | op | K, dst, off=off, imm=imm)


def call(helper: int) -> bytes:
    return insn(JMP | CALL, imm=helper)


def exit_() -> bytes:
    return insn(JMP | EXIT)


def ld_map_fd(dst: int, fd: int) -> bytes:
    """dst = the map whose fd this is (two slots: the loader's 64-bit immediate)."""
    return insn(LD | DW | IMM, dst, PSEUDO_MAP_FD, imm=fd) + insn(0)


class Jump:
    """A conditional jump to a label (`if dst OP imm goto label`, or `if dst OP src goto
    label` when `src` names a register), resolved by assemble."""

    def __init__(self, op: int, dst: int, imm: int, label: str, src: int | None = None
                 ) -> None:
        self.op, self.dst, self.imm, self.label, self.src = op, dst, imm, label, src


def assemble(items: list) -> bytes:
    """Instructions (bytes), labels (str: the place of the next instruction) and Jumps ->
    the program. A jump's offset counts 8-byte slots from the instruction after it."""
    labels: dict[str, int] = {}
    slot = 0
    for item in items:
        if isinstance(item, str):
            labels[item] = slot
        else:
            slot += 1 if isinstance(item, Jump) else len(item) // 8
    out = []
    slot = 0
    for item in items:
        if isinstance(item, str):
            continue
        if isinstance(item, Jump):
            off = labels[item.label] - slot - 1
            item = (jump_imm(item.op, item.dst, item.imm, off) if item.src is None
                    else insn(JMP | item.op | X, item.dst, item.src, off))
        out.append(item)
        slot += len(item) // 8
    return b"".join(out)


# --- the programs ------------------------------------------------------------------------

CTX_USER_IP4, CTX_USER_PORT, CTX_PROTOCOL = 4, 24, 36
IPPROTO_TCP, IPPROTO_UDP = 6, 17


def _tcp_or_udp() -> list:
    """r8 = ctx->protocol (r8 survives calls); anything but TCP and UDP jumps to `out`.
    UDP reaches connect4/6 only for a connect()ed socket; sendmsg4 takes IPv4 sendto()."""
    return [load(4, R8, R6, CTX_PROTOCOL),
            Jump(JEQ, R8, IPPROTO_TCP, "proto_ok"),
            Jump(JNE, R8, IPPROTO_UDP, "out"),
            "proto_ok"]


def _loopback_first_octet() -> bytes:
    """r1 = the first octet of the address in r1 (network order in memory: the low byte of
    the register on a little-endian machine, the high one on a big-endian one)."""
    if sys.byteorder == "little":
        return alu_imm(AND, R1, 0xFF)
    return alu_imm(RSH, R1, 24)


def connect4(ports_fd: int, revnat_fd: int) -> bytes:
    """The cgroup/connect4 program (see the module's docstring)."""
    def lookup_ports() -> list:
        return [ld_map_fd(R1, ports_fd),              # r1 = PORTS
                mov_reg(R2, R10),                     # r2 = the key on the stack
                alu_imm(ADD, R2, -16),
                call(MAP_LOOKUP_ELEM)]                # r0 = the value, or 0
    return assemble([
        mov_reg(R6, R1),                              # r6 = ctx (calls clobber r1-r5)
        *_tcp_or_udp(),                               # r8 = the protocol, else `out`
        mov_reg(R1, R6),
        call(GET_NETNS_COOKIE),                       # r0 = the socket's netns cookie
        store(8, R10, -16, R0),                       # key.netns = r0       (fp-16)
        load(4, R1, R6, CTX_USER_IP4),
        store(4, R10, -8, R1),                        # key.addr = user_ip4  (fp-8)
        load(4, R1, R6, CTX_USER_PORT),
        store(2, R10, -4, R1),                        # key.port = user_port (fp-4)
        store(2, R10, -2, R8),                        # key.proto = r8       (fp-2)
        *lookup_ports(),                              # the exact address first
        Jump(JNE, R0, 0, "found"),
        load(4, R1, R6, CTX_USER_IP4),
        _loopback_first_octet(),
        Jump(JNE, R1, 127, "out"),                    # not 127.0.0.0/8: untouched
        store_imm(4, R10, -8, 0),                     # key.addr = 0.0.0.0 (a wildcard -p)
        *lookup_ports(),
        Jump(JEQ, R0, 0, "out"),                      # no such published port
        "found",
        mov_reg(R7, R0),                              # r7 = {container addr, port}
        mov_reg(R1, R6),
        call(GET_SOCKET_COOKIE),                      # r0 = this socket's cookie
        store(8, R10, -24, R0),                       # rkey = cookie         (fp-24)
        load(4, R1, R6, CTX_USER_IP4),
        store(4, R10, -32, R1),                       # rval.addr = user_ip4  (fp-32)
        load(4, R1, R6, CTX_USER_PORT),
        store(4, R10, -28, R1),                       # rval.port = user_port (fp-28)
        ld_map_fd(R1, revnat_fd),                     # REVNAT[rkey] = rval
        mov_reg(R2, R10),
        alu_imm(ADD, R2, -24),
        mov_reg(R3, R10),
        alu_imm(ADD, R3, -32),
        mov_imm(R4, 0),                               # BPF_ANY
        call(MAP_UPDATE_ELEM),
        load(4, R1, R7, 0),
        store(4, R6, CTX_USER_IP4, R1),               # ctx->user_ip4 = container addr
        load(4, R1, R7, 4),
        store(4, R6, CTX_USER_PORT, R1),              # ctx->user_port = container port
        "out",
        mov_imm(R0, 1),                               # allow the connect, always
        exit_(),
    ])


def sendmsg4(ports_fd: int, revnat_fd: int) -> bytes:
    """cgroup/sendmsg4: a UDP sendto() to a published port (same key and lookups as
    connect4) goes to the container's address; REVNAT_UDP[{socket cookie, container
    address, port}] keeps the address it was sent to, for recvmsg4."""
    def lookup_ports() -> list:
        return [ld_map_fd(R1, ports_fd), mov_reg(R2, R10), alu_imm(ADD, R2, -16),
                call(MAP_LOOKUP_ELEM)]
    return assemble([
        mov_reg(R6, R1),                              # r6 = ctx
        load(4, R1, R6, CTX_PROTOCOL),
        Jump(JNE, R1, IPPROTO_UDP, "out"),            # UDP only
        mov_reg(R1, R6),
        call(GET_NETNS_COOKIE),
        store(8, R10, -16, R0),                       # key.netns            (fp-16)
        load(4, R1, R6, CTX_USER_IP4),
        store(4, R10, -8, R1),                        # key.addr = user_ip4  (fp-8)
        load(4, R1, R6, CTX_USER_PORT),
        store(2, R10, -4, R1),                        # key.port             (fp-4)
        store_imm(2, R10, -2, IPPROTO_UDP),           # key.proto = 17       (fp-2)
        *lookup_ports(),
        Jump(JNE, R0, 0, "found"),
        load(4, R1, R6, CTX_USER_IP4),
        _loopback_first_octet(),
        Jump(JNE, R1, 127, "out"),
        store_imm(4, R10, -8, 0),                     # key.addr = 0.0.0.0
        *lookup_ports(),
        Jump(JEQ, R0, 0, "out"),
        "found",
        mov_reg(R7, R0),                              # r7 = {container addr, port}
        mov_reg(R1, R6),
        call(GET_SOCKET_COOKIE),
        store(8, R10, -32, R0),                       # rkey.cookie          (fp-32)
        load(4, R1, R7, 0),
        store(4, R10, -24, R1),                       # rkey.addr = container (fp-24)
        load(4, R1, R7, 4),
        store(4, R10, -20, R1),                       # rkey.port = container (fp-20)
        load(4, R1, R6, CTX_USER_IP4),
        store(4, R10, -40, R1),                       # rval.addr = user_ip4 (fp-40)
        load(4, R1, R6, CTX_USER_PORT),
        store(4, R10, -36, R1),                       # rval.port = user_port (fp-36)
        ld_map_fd(R1, revnat_fd),                     # REVNAT_UDP[rkey] = rval
        mov_reg(R2, R10),
        alu_imm(ADD, R2, -32),
        mov_reg(R3, R10),
        alu_imm(ADD, R3, -40),
        mov_imm(R4, 0),
        call(MAP_UPDATE_ELEM),
        load(4, R1, R7, 0),
        store(4, R6, CTX_USER_IP4, R1),               # send to the container's address
        load(4, R1, R7, 4),
        store(4, R6, CTX_USER_PORT, R1),
        "out",
        mov_imm(R0, 1),                               # allow the send, always
        exit_(),
    ])


def recvmsg4(revnat_fd: int) -> bytes:
    """cgroup/recvmsg4: a datagram from a container that sendmsg4 redirected to shows the
    address the socket sent to (127.0.0.1:5353) as its source."""
    return assemble([
        mov_reg(R6, R1),
        call(GET_SOCKET_COOKIE),                      # r1 = ctx
        store(8, R10, -16, R0),                       # key.cookie  (fp-16)
        load(4, R1, R6, CTX_USER_IP4),
        store(4, R10, -8, R1),                        # key.addr = the source (fp-8)
        load(4, R1, R6, CTX_USER_PORT),
        store(4, R10, -4, R1),                        # key.port = its port   (fp-4)
        ld_map_fd(R1, revnat_fd),
        mov_reg(R2, R10),
        alu_imm(ADD, R2, -16),
        call(MAP_LOOKUP_ELEM),
        Jump(JEQ, R0, 0, "out"),                      # not from a redirected send
        load(4, R1, R0, 0),
        store(4, R6, CTX_USER_IP4, R1),
        load(4, R1, R0, 4),
        store(4, R6, CTX_USER_PORT, R1),
        "out",
        mov_imm(R0, 1),                               # recvmsg must return 1
        exit_(),
    ])


CTX_USER_IP6 = 8  # four 32-bit words, network order


def _loopback6_last_word() -> int:
    """The last 32-bit word of ::1 as a register holds it after a 4-byte load."""
    return 0x01000000 if sys.byteorder == "little" else 1


def connect6(ports_fd: int, revnat_fd: int) -> bytes:
    """cgroup/connect6: connect4's program for IPv6 (key: netns cookie, 16-byte address,
    port, protocol at fp-32..fp-4; a wildcard binding is redirected for ::1, which the
    kernel's DNAT cannot reach: it has no IPv6 route_localnet)."""
    def lookup_ports() -> list:
        return [ld_map_fd(R1, ports_fd), mov_reg(R2, R10), alu_imm(ADD, R2, -32),
                call(MAP_LOOKUP_ELEM)]
    words = range(4)
    return assemble([
        mov_reg(R6, R1),                              # r6 = ctx
        *_tcp_or_udp(),                               # r8 = the protocol, else `out`
        mov_reg(R1, R6),
        call(GET_NETNS_COOKIE),
        store(8, R10, -32, R0),                       # key.netns          (fp-32)
        *[x for w in words for x in (load(4, R1, R6, CTX_USER_IP6 + 4 * w),
                                     store(4, R10, -24 + 4 * w, R1))],  # key.addr (fp-24)
        load(4, R1, R6, CTX_USER_PORT),
        store(2, R10, -8, R1),                        # key.port           (fp-8)
        store(2, R10, -6, R8),                        # key.proto = r8     (fp-6)
        *lookup_ports(),
        Jump(JNE, R0, 0, "found"),
        *[x for w in words[:3] for x in (load(4, R1, R6, CTX_USER_IP6 + 4 * w),
                                         Jump(JNE, R1, 0, "out"))],   # ::1 only
        load(4, R1, R6, CTX_USER_IP6 + 12),
        Jump(JNE, R1, _loopback6_last_word(), "out"),
        store_imm(4, R10, -12, 0),                    # key.addr = :: (a wildcard -p)
        *lookup_ports(),
        Jump(JEQ, R0, 0, "out"),
        "found",
        mov_reg(R7, R0),                              # r7 = {container addr, port}
        mov_reg(R1, R6),
        call(GET_SOCKET_COOKIE),
        store(8, R10, -40, R0),                       # rkey = cookie      (fp-40)
        *[x for w in words for x in (load(4, R1, R6, CTX_USER_IP6 + 4 * w),
                                     store(4, R10, -64 + 4 * w, R1))],  # rval.addr (fp-64)
        load(4, R1, R6, CTX_USER_PORT),
        store(4, R10, -48, R1),                       # rval.port          (fp-48)
        ld_map_fd(R1, revnat_fd),                     # REVNAT6[rkey] = rval
        mov_reg(R2, R10),
        alu_imm(ADD, R2, -40),
        mov_reg(R3, R10),
        alu_imm(ADD, R3, -64),
        mov_imm(R4, 0),
        call(MAP_UPDATE_ELEM),
        *[x for w in words for x in (load(4, R1, R7, 4 * w),
                                     store(4, R6, CTX_USER_IP6 + 4 * w, R1))],
        load(4, R1, R7, 16),
        store(4, R6, CTX_USER_PORT, R1),              # the container's address and port
        "out",
        mov_imm(R0, 1),
        exit_(),
    ])


def _is_loopback6() -> list:
    """Jump to `out` unless the destination in ctx is ::1."""
    return [*[x for w in range(3) for x in (load(4, R1, R6, CTX_USER_IP6 + 4 * w),
                                            Jump(JNE, R1, 0, "out"))],
            load(4, R1, R6, CTX_USER_IP6 + 12),
            Jump(JNE, R1, _loopback6_last_word(), "out")]


def _copy6(dst: int, dst_off: int, src: int, src_off: int) -> list:
    """16 bytes (an IPv6 address) from src+src_off to dst+dst_off, a word at a time."""
    return [x for w in range(4) for x in (load(4, R1, src, src_off + 4 * w),
                                          store(4, dst, dst_off + 4 * w, R1))]


def sendmsg6(ports_fd: int, revnat_fd: int) -> bytes:
    """cgroup/sendmsg6: sendmsg4 for IPv6 (the key as connect6's at fp-32; REVNAT_UDP6's
    key {cookie, container address, port} at fp-64, its value at fp-88)."""
    def lookup_ports() -> list:
        return [ld_map_fd(R1, ports_fd), mov_reg(R2, R10), alu_imm(ADD, R2, -32),
                call(MAP_LOOKUP_ELEM)]
    return assemble([
        mov_reg(R6, R1),
        load(4, R1, R6, CTX_PROTOCOL),
        Jump(JNE, R1, IPPROTO_UDP, "out"),            # UDP only
        mov_reg(R1, R6),
        call(GET_NETNS_COOKIE),
        store(8, R10, -32, R0),                       # key.netns          (fp-32)
        *_copy6(R10, -24, R6, CTX_USER_IP6),          # key.addr           (fp-24)
        load(4, R1, R6, CTX_USER_PORT),
        store(2, R10, -8, R1),                        # key.port           (fp-8)
        store_imm(2, R10, -6, IPPROTO_UDP),           # key.proto = 17     (fp-6)
        *lookup_ports(),
        Jump(JNE, R0, 0, "found"),
        *_is_loopback6(),
        store_imm(4, R10, -12, 0),                    # key.addr = ::
        *lookup_ports(),
        Jump(JEQ, R0, 0, "out"),
        "found",
        mov_reg(R7, R0),                              # r7 = {container addr, port}
        mov_reg(R1, R6),
        call(GET_SOCKET_COOKIE),
        store(8, R10, -64, R0),                       # rkey.cookie        (fp-64)
        *_copy6(R10, -56, R7, 0),                     # rkey.addr = container (fp-56)
        load(4, R1, R7, 16),
        store(4, R10, -40, R1),                       # rkey.port = container (fp-40)
        *_copy6(R10, -88, R6, CTX_USER_IP6),          # rval.addr = user_ip6 (fp-88)
        load(4, R1, R6, CTX_USER_PORT),
        store(4, R10, -72, R1),                       # rval.port = user_port (fp-72)
        ld_map_fd(R1, revnat_fd),                     # REVNAT_UDP6[rkey] = rval
        mov_reg(R2, R10),
        alu_imm(ADD, R2, -64),
        mov_reg(R3, R10),
        alu_imm(ADD, R3, -88),
        mov_imm(R4, 0),
        call(MAP_UPDATE_ELEM),
        *_copy6(R6, CTX_USER_IP6, R7, 0),             # send to the container's address
        load(4, R1, R7, 16),
        store(4, R6, CTX_USER_PORT, R1),
        "out",
        mov_imm(R0, 1),
        exit_(),
    ])


def recvmsg6(revnat_fd: int) -> bytes:
    """cgroup/recvmsg6: recvmsg4 for IPv6 (key at fp-32, 28 bytes)."""
    return assemble([
        mov_reg(R6, R1),
        call(GET_SOCKET_COOKIE),
        store(8, R10, -32, R0),                       # key.cookie         (fp-32)
        *_copy6(R10, -24, R6, CTX_USER_IP6),          # key.addr = source  (fp-24)
        load(4, R1, R6, CTX_USER_PORT),
        store(4, R10, -8, R1),                        # key.port           (fp-8)
        ld_map_fd(R1, revnat_fd),
        mov_reg(R2, R10),
        alu_imm(ADD, R2, -32),
        call(MAP_LOOKUP_ELEM),
        Jump(JEQ, R0, 0, "out"),
        *_copy6(R6, CTX_USER_IP6, R0, 0),
        load(4, R1, R0, 16),
        store(4, R6, CTX_USER_PORT, R1),
        "out",
        mov_imm(R0, 1),
        exit_(),
    ])


def getpeername6(revnat_fd: int) -> bytes:
    """cgroup/getpeername6: getpeername4's program for IPv6."""
    return assemble([
        mov_reg(R6, R1),
        call(GET_SOCKET_COOKIE),
        store(8, R10, -8, R0),
        ld_map_fd(R1, revnat_fd),
        mov_reg(R2, R10),
        alu_imm(ADD, R2, -8),
        call(MAP_LOOKUP_ELEM),
        Jump(JEQ, R0, 0, "out"),
        *[x for w in range(4) for x in (load(4, R1, R0, 4 * w),
                                        store(4, R6, CTX_USER_IP6 + 4 * w, R1))],
        load(4, R1, R0, 16),
        store(4, R6, CTX_USER_PORT, R1),
        "out",
        mov_imm(R0, 1),
        exit_(),
    ])


def getpeername4(revnat_fd: int) -> bytes:
    """The cgroup/getpeername4 program (see the module's docstring)."""
    return assemble([
        mov_reg(R6, R1),                              # r6 = ctx
        call(GET_SOCKET_COOKIE),                      # r0 = this socket's cookie (r1 = ctx)
        store(8, R10, -8, R0),                        # key = cookie (fp-8)
        ld_map_fd(R1, revnat_fd),
        mov_reg(R2, R10),
        alu_imm(ADD, R2, -8),
        call(MAP_LOOKUP_ELEM),                        # r0 = {addr, port} it connected to
        Jump(JEQ, R0, 0, "out"),                      # not redirected
        load(4, R1, R0, 0),
        store(4, R6, CTX_USER_IP4, R1),               # the peer is 127.0.0.1 ...
        load(4, R1, R0, 4),
        store(4, R6, CTX_USER_PORT, R1),              # ... :8080, as connect() was told
        "out",
        mov_imm(R0, 1),                               # getpeername must return 1
        exit_(),
    ])


# --- the system call ---------------------------------------------------------------------

MAP_CREATE, MAP_LOOKUP, MAP_UPDATE, MAP_DELETE, MAP_NEXT_KEY, PROG_LOAD = 0, 1, 2, 3, 4, 5
PROG_ATTACH, PROG_DETACH = 8, 9
PROG_GET_FD_BY_ID, MAP_GET_FD_BY_ID, OBJ_GET_INFO_BY_FD, PROG_QUERY = 13, 14, 15, 16
MAP_HASH, MAP_LRU_HASH = 1, 9
PROG_SCHED_CLS, PROG_CGROUP_SOCK_ADDR = 3, 18
INET4_CONNECT, INET6_CONNECT, INET4_GETPEERNAME, INET6_GETPEERNAME = 10, 11, 29, 30
UDP4_SENDMSG, UDP6_SENDMSG, UDP4_RECVMSG, UDP6_RECVMSG = 14, 15, 19, 20
TCX_INGRESS, TCX_EGRESS = 46, 47  # a network device's tc hooks (Linux 6.6)
F_ALLOW_MULTI = 2
_SYSCALL = {"x86_64": 321, "aarch64": 280, "ppc64le": 361, "s390x": 351, "riscv64": 280}


class BPFError(OSError):
    pass


class Held:
    """A base for the context managers that hold kernel objects' fds (programs, maps,
    the lock's file) for one use: kept as they are opened, closed together on exit."""

    def __init__(self) -> None:
        self.fds: list[int] = []

    def _keep(self, fd: int) -> int:
        self.fds.append(fd)
        return fd

    def _close(self) -> None:
        for fd in reversed(self.fds):
            os.close(fd)
        self.fds = []

    def __exit__(self, *exc: object) -> None:
        self._close()


_libc = None


def _bpf(cmd: int, attr: bytes | bytearray) -> int:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    nr = _SYSCALL.get(os.uname().machine)
    if nr is None:
        raise BPFError(errno.ENOSYS, f"bpf(): unknown system call number on "
                                     f"{os.uname().machine}")
    buf = ctypes.create_string_buffer(bytes(attr), max(len(attr), 128))
    ret = _libc.syscall(ctypes.c_long(nr), ctypes.c_int(cmd), buf, ctypes.c_uint(len(buf)))
    if ret < 0:
        e = ctypes.get_errno()
        raise BPFError(e, f"bpf(cmd {cmd}): {os.strerror(e)}")
    if isinstance(attr, bytearray):
        attr[:] = buf.raw[:len(attr)]
    return ret


def _name(text: str) -> bytes:
    return text.encode()[:15].ljust(16, b"\0")


def map_create(map_type: int, key_size: int, value_size: int, max_entries: int,
               name: str) -> int:
    attr = struct.pack("=IIIIIII16s", map_type, key_size, value_size, max_entries, 0, 0, 0,
                       _name(name))
    return _bpf(MAP_CREATE, attr)


def _addr(data: bytes) -> tuple[ctypes.Array, int]:
    buf = ctypes.create_string_buffer(data, len(data))
    return buf, ctypes.addressof(buf)


def map_update(fd: int, key: bytes, value: bytes) -> None:
    k, kp = _addr(key)
    v, vp = _addr(value)
    _bpf(MAP_UPDATE, struct.pack("=IIQQQ", fd, 0, kp, vp, 0))


def map_lookup(fd: int, key: bytes, value_size: int) -> bytes | None:
    k, kp = _addr(key)
    v, vp = _addr(b"\0" * value_size)
    try:
        _bpf(MAP_LOOKUP, struct.pack("=IIQQQ", fd, 0, kp, vp, 0))
    except BPFError as e:
        if e.errno == errno.ENOENT:
            return None
        raise
    return v.raw


def map_delete(fd: int, key: bytes) -> bool:
    k, kp = _addr(key)
    try:
        _bpf(MAP_DELETE, struct.pack("=IIQQQ", fd, 0, kp, 0, 0))
    except BPFError as e:
        if e.errno == errno.ENOENT:
            return False
        raise
    return True


def map_keys(fd: int, key_size: int) -> list[bytes]:
    out: list[bytes] = []
    prev = None
    while True:
        nxt, np_ = _addr(b"\0" * key_size)
        if prev is None:
            kp = 0
        else:
            k, kp = _addr(prev)
        try:
            _bpf(MAP_NEXT_KEY, struct.pack("=IIQQQ", fd, 0, kp, np_, 0))
        except BPFError as e:
            if e.errno == errno.ENOENT:
                return out
            raise
        prev = nxt.raw
        out.append(prev)


def prog_load(code: bytes, attach_type: int, name: str,
              prog_type: int = PROG_CGROUP_SOCK_ADDR) -> int:
    """Load a program (a cgroup/sock_addr one unless `prog_type` says otherwise); the
    verifier's log is in the error if it refuses."""
    insns, ip = _addr(code)
    lic, lp = _addr(b"Dual MIT/GPL\0")
    log = ctypes.create_string_buffer(65536)
    attr = struct.pack("=IIQQIIQII16sII", prog_type, len(code) // 8, ip, lp,
                       1, len(log), ctypes.addressof(log), 0, 0, _name(name), 0,
                       attach_type)
    try:
        return _bpf(PROG_LOAD, attr)
    except BPFError as e:
        text = log.value.decode(errors="replace").strip()
        raise BPFError(e.errno, f"{e.strerror}: {text.splitlines()[-1] if text else ''}")\
            from None


def prog_attach(cgroup_fd: int, prog_fd: int, attach_type: int) -> None:
    _bpf(PROG_ATTACH, struct.pack("=IIIII", cgroup_fd, prog_fd, attach_type, F_ALLOW_MULTI,
                                  0))


def prog_detach(cgroup_fd: int, prog_fd: int, attach_type: int) -> None:
    _bpf(PROG_DETACH, struct.pack("=IIIII", cgroup_fd, prog_fd, attach_type, 0, 0))


def tcx_attach(ifindex: int, prog_fd: int, attach_type: int) -> None:
    """Attach a sched_cls program to a device's tcx hook, after those already there. It
    stays attached when this process exits, until detached or the device is gone."""
    _bpf(PROG_ATTACH, struct.pack("=IIIIIIQ", ifindex, prog_fd, attach_type, 0, 0, 0, 0))


def tcx_detach(ifindex: int, prog_fd: int, attach_type: int) -> None:
    _bpf(PROG_DETACH, struct.pack("=IIIIIIQ", ifindex, prog_fd, attach_type, 0, 0, 0, 0))


def prog_query(cgroup_fd: int, attach_type: int) -> list[int]:
    """IDs of the programs attached to this cgroup itself (not inherited ones); for a
    TCX_* attach type `cgroup_fd` is the device's ifindex."""
    ids = ctypes.create_string_buffer(4 * 64)
    attr = bytearray(struct.pack("=IIIIQI", cgroup_fd, attach_type, 0, 0,
                                 ctypes.addressof(ids), 64))
    _bpf(PROG_QUERY, attr)
    count = struct.unpack_from("=I", attr, 24)[0]
    return list(struct.unpack_from(f"={count}I", ids.raw))


def prog_fd_by_id(prog_id: int) -> int:
    return _bpf(PROG_GET_FD_BY_ID, struct.pack("=III", prog_id, 0, 0))


def map_fd_by_id(map_id: int) -> int:
    return _bpf(MAP_GET_FD_BY_ID, struct.pack("=III", map_id, 0, 0))


def prog_info(fd: int) -> tuple[str, list[int]]:
    """(name, map IDs) of a loaded program (struct bpf_prog_info: nr_map_ids at 52,
    map_ids at 56, name at 64)."""
    map_ids = ctypes.create_string_buffer(4 * 8)
    info = bytearray(256)
    struct.pack_into("=IQ", info, 52, 8, ctypes.addressof(map_ids))
    buf = ctypes.create_string_buffer(bytes(info), len(info))
    _bpf(OBJ_GET_INFO_BY_FD, struct.pack("=IIQ", fd, len(info), ctypes.addressof(buf)))
    raw = buf.raw
    nr = min(struct.unpack_from("=I", raw, 52)[0], 8)
    name = raw[64:80].split(b"\0", 1)[0].decode()
    return name, list(struct.unpack_from(f"={nr}I", map_ids.raw))


def map_name(fd: int) -> str:
    """A map's name (struct bpf_map_info: name at 24)."""
    buf = ctypes.create_string_buffer(96)
    _bpf(OBJ_GET_INFO_BY_FD, struct.pack("=IIQ", fd, len(buf), ctypes.addressof(buf)))
    return buf.raw[24:40].split(b"\0", 1)[0].decode()


def netns_cookie() -> int:
    """The cookie of this process's network namespace (SO_NETNS_COOKIE, Linux 5.14)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        return struct.unpack("=Q", s.getsockopt(socket.SOL_SOCKET, 71, 8))[0]
