"""The two tc programs of teu's loopback fast path for published ports
(teu.network.fastpath), written with teu.network.bpf's encoder.

A TCP connection from 127.0.0.1 to a published port 127.0.0.1:HOSTPORT is translated
by these programs instead of netfilter's DNAT, and its frames skip the bridge:

    client 127.0.0.1:X -> 127.0.0.1:HOSTPORT      (the host's loopback, egress)
      LO_OUT: -> SNAT_ADDR(HOSTPORT):X -> container:PORT, MACs for the veth,
              redirected to the host end of the container's veth (egress)
    container:PORT -> SNAT_ADDR(HOSTPORT):X       (the host end of the veth, ingress)
      VETH_IN: -> 127.0.0.1:HOSTPORT -> 127.0.0.1:X, redirected into loopback

The translation is stateless: the address the container sees as its client's,
SNAT_ADDR(HOSTPORT) = 198.18.H.L with H.L = HOSTPORT (198.18.0.0/15 is reserved for
benchmarking, RFC 2544: no host of a network uses it), says which published port a
reply belongs to, and the client's port is kept. A host socket never has that source,
so a translated connection's 4-tuple cannot be one the host opened to the container
directly (masquerading to the bridge's address could collide with those), and two host
ports published to one container port are two distinct client addresses.

A reply is translated only if it comes from the container's address and port that the
published port's entry names, and never when it opens a connection (SYN without ACK):
a container cannot use the path to open a connection to a service on the host's
loopback. Only TCP takes the path (UDP has no handshake to tell a reply from a new
flow: it keeps the kernel's DNAT).

IPv6 is the same for [::1] -> [::1]:HOSTPORT, with SNAT6_ADDR(HOSTPORT) = 2001:2::HHLL
(2001:2::/48 is reserved for benchmarking, RFC 5180) and no IP header checksum (the TCP
checksum is fixed by the difference of the 16-byte addresses: csum_diff).

Both programs read the packet with direct packet access (struct __sk_buff: protocol at
16, data at 76, data_end at 80; a tc program's data starts at the Ethernet header), then
rewrite it with the kernel's helpers only (skb_store_bytes, l3/l4_csum_replace: they fix
the checksums whatever the skb's checksum state). Anything they do not translate goes on
(TCX_NEXT). Two hash maps are shared by both, PORTS and PORTS6:

    PORTS  key   {u32 address (127.0.0.1), u16 host port, u16 protocol} (network order)
           value {u32 container address, u16 container port, u16 0,
                  u32 ifindex of the veth's host end, u32 SNAT_ADDR(host port),
                  u8 container MAC[6], u8 bridge MAC[6]}
    PORTS6 key   {u16 host port, u16 protocol}
           value {u8 container address[16], u16 container port, u16 0, u32 ifindex,
                  u8 SNAT6_ADDR(host port)[16], u8 container MAC[6], u8 bridge MAC[6]}
"""

from __future__ import annotations

# the C module: socket.py's enums cost ~10 ms of a `teu run -p`'s import time
import _socket as socket
import struct
import sys

from teu.network.bpf import (
    ADD,
    AND,
    JEQ,
    JGT,
    JNE,
    R0,
    R1,
    R2,
    R3,
    R4,
    R5,
    R6,
    R7,
    R8,
    R9,
    R10,
    RSH,
    Jump,
    alu_imm,
    assemble,
    call,
    exit_,
    ld_map_fd,
    load,
    mov_imm,
    mov_reg,
    store,
    store_imm,
)

KEY = "=4sHH"                  # address, host port (network order), protocol
VALUE = "=4sHHII6s6s"          # container address, port (network order), 0, ifindex,
                               # SNAT address (as a register loads it), MACs
KEY6 = "=HH"                   # host port (network order), protocol: [::1] only
VALUE6 = "=16sHHI16s6s6s"      # container address, port, 0, ifindex, SNAT6 address, MACs
SNAT_PREFIX = bytes([198, 18])
SNAT6_PREFIX = bytes.fromhex("20010002") + bytes(10)  # 2001:2::/48 (RFC 5180), ::HHLL

# helpers (enum bpf_func_id)
MAP_LOOKUP_ELEM, SKB_STORE_BYTES, L3_CSUM_REPLACE, L4_CSUM_REPLACE = 1, 9, 10, 11
REDIRECT, CSUM_DIFF = 23, 28
F_PSEUDO_HDR, F_INGRESS = 0x10, 1
TCX_NEXT, TCX_DROP = -1, 2
LOOPBACK_IFINDEX = 1

# struct __sk_buff fields
SKB_PROTOCOL, SKB_DATA, SKB_DATA_END = 16, 76, 80
# offsets in the frame: Ethernet (14), an IPv4 header without options (20), TCP
IP_VERSION_IHL, IP_FRAG, IP_PROTO, IP_CSUM, IP_SADDR, IP_DADDR = 14, 20, 23, 24, 26, 30
TCP_SPORT, TCP_DPORT, TCP_FLAGS, TCP_CSUM = 34, 36, 47, 50
TCP_END = 54
# ... an IPv6 header without extension headers (40), TCP
IP6_VERSION, IP6_NEXTHDR, IP6_SADDR, IP6_DADDR = 14, 20, 22, 38
TCP6_SPORT, TCP6_DPORT, TCP6_FLAGS, TCP6_CSUM = 54, 56, 67, 70
TCP6_END = 74
TCP_SYN, TCP_ACK = 0x02, 0x10
IPPROTO_TCP = 6


def _raw(data: bytes) -> int:
    """The value a load of these bytes (in network order) leaves in a register."""
    value = int.from_bytes(data, sys.byteorder)
    assert value < 1 << 31, "an immediate is sign-extended: compare in 32 bits instead"
    return value


LOOPBACK = _raw(socket.inet_aton("127.0.0.1"))
LOOPBACK6 = [_raw(socket.inet_pton(socket.AF_INET6, "::1")[i:i + 4]) for i in (0, 4, 8, 12)]
ETH_P_IP = _raw(struct.pack("!H", 0x0800))
ETH_P_IPV6 = _raw(struct.pack("!H", 0x86DD))
FRAG_MASK = _raw(struct.pack("!H", 0x3FFF))   # more-fragments flag and fragment offset
SNAT_PREFIX_RAW = _raw(SNAT_PREFIX)
SNAT6_PREFIX_RAW = [_raw(SNAT6_PREFIX[i:i + 4]) for i in (0, 4, 8)]


def snat_address(host_port: int) -> bytes:
    """SNAT_ADDR(host port): the client address the container sees."""
    return SNAT_PREFIX + struct.pack("!H", host_port)


def snat6_address(host_port: int) -> bytes:
    """SNAT6_ADDR(host port): 2001:2::HHLL, the [::1] client as the container sees it."""
    return SNAT6_PREFIX + struct.pack("!H", host_port)


def key(host_port: int) -> bytes:
    return struct.pack(KEY, socket.inet_aton("127.0.0.1"), socket.htons(host_port),
                       IPPROTO_TCP)


def key6(host_port: int) -> bytes:
    return struct.pack(KEY6, socket.htons(host_port), IPPROTO_TCP)


def value(container_ip: str, container_port: int, ifindex: int, host_port: int,
          container_mac: bytes, bridge_mac: bytes) -> bytes:
    snat = int.from_bytes(snat_address(host_port), sys.byteorder)
    return struct.pack(VALUE, socket.inet_aton(container_ip), socket.htons(container_port),
                       0, ifindex, snat, container_mac, bridge_mac)


def value6(container_ip6: str, container_port: int, ifindex: int, host_port: int,
           container_mac: bytes, bridge_mac: bytes) -> bytes:
    return struct.pack(VALUE6, socket.inet_pton(socket.AF_INET6, container_ip6),
                       socket.htons(container_port), 0, ifindex, snat6_address(host_port),
                       container_mac, bridge_mac)


def _frame(end: int) -> list:
    """r2 = the frame's start, with `end` bytes of headers in the linear data, or else
    `next` (r3 = data_end, clobbered)."""
    return [load(4, R2, R6, SKB_DATA),                # r2 = data
            load(4, R3, R6, SKB_DATA_END),            # r3 = data_end
            mov_reg(R1, R2),
            alu_imm(ADD, R1, end),
            Jump(JGT, R1, 0, "next", src=R3)]         # shorter than the headers


def _family(v6: str) -> list:
    """IPv6 jumps to `v6`; anything but IPv4 and IPv6 to `next`."""
    return [load(4, R1, R6, SKB_PROTOCOL),
            Jump(JEQ, R1, ETH_P_IPV6, v6),
            Jump(JNE, R1, ETH_P_IP, "next")]


def _plain_tcp4() -> list:
    """r2 = the frame: an IPv4 TCP segment without IP options, not a fragment, with its
    whole TCP header in the linear data, or else `next`."""
    return [*_frame(TCP_END),
            load(1, R1, R2, IP_VERSION_IHL),
            Jump(JNE, R1, 0x45, "next"),              # IP options
            load(1, R1, R2, IP_PROTO),
            Jump(JNE, R1, IPPROTO_TCP, "next"),
            load(2, R1, R2, IP_FRAG),
            alu_imm(AND, R1, FRAG_MASK),
            Jump(JNE, R1, 0, "next")]                 # a fragment


def _plain_tcp6() -> list:
    """r2 = the frame: an IPv6 TCP segment without extension headers (so not a
    fragment either), its TCP header in the linear data, or else `next`."""
    return [*_frame(TCP6_END),
            load(1, R1, R2, IP6_VERSION),
            alu_imm(AND, R1, 0xF0),
            Jump(JNE, R1, 0x60, "next"),
            load(1, R1, R2, IP6_NEXTHDR),
            Jump(JNE, R1, IPPROTO_TCP, "next")]       # extension headers, or not TCP


def _is_loopback6(at: int) -> list:
    """The 16 bytes at r2+at are ::1, or else `next`."""
    return [x for i in range(4) for x in (load(4, R1, R2, at + 4 * i),
                                          Jump(JNE, R1, LOOPBACK6[i], "next"))]


def _copy16(dst: int, dst_off: int, src: int, src_off: int) -> list:
    return [x for i in range(4) for x in (load(4, R1, src, src_off + 4 * i),
                                          store(4, dst, dst_off + 4 * i, R1))]


def _loopback6_at(off: int) -> list:
    """::1 on the stack at fp+off."""
    return [store_imm(4, R10, off + 4 * i, LOOPBACK6[i]) for i in range(4)]


def _lookup(ports_fd: int, key_at: int) -> list:
    return [ld_map_fd(R1, ports_fd), mov_reg(R2, R10), alu_imm(ADD, R2, key_at),
            call(MAP_LOOKUP_ELEM)]


def _ok() -> Jump:
    return Jump(JNE, R0, 0, "drop")                   # a helper failed: drop, never half


def _ptr(reg: int, at: tuple) -> list:
    """reg = the address (register, offset)."""
    return [mov_reg(reg, at[0]), alu_imm(ADD, reg, at[1])]


def _store(field: int, at: tuple, size: int) -> list:
    """`size` bytes at (register, offset) into the frame at `field`."""
    return [mov_reg(R1, R6), mov_imm(R2, field), *_ptr(R3, at), mov_imm(R4, size),
            mov_imm(R5, 0), call(SKB_STORE_BYTES), _ok()]


def _replace4(field: int, old: tuple, new: tuple, new_at: tuple) -> list:
    """Rewrite the 4-byte IP address at `field`: the TCP checksum (its pseudo-header),
    the IP checksum, then the bytes. old/new: the values, ("r", register), ("i",
    immediate) or ("s", stack offset); new_at: (register, offset) of the new value."""
    def operand(reg: int, what: tuple) -> bytes:
        kind, n = what
        if kind == "r":
            return mov_reg(reg, n)
        return mov_imm(reg, n) if kind == "i" else load(4, reg, R10, n)
    return [mov_reg(R1, R6), mov_imm(R2, TCP_CSUM), operand(R3, old), operand(R4, new),
            mov_imm(R5, F_PSEUDO_HDR | 4), call(L4_CSUM_REPLACE), _ok(),
            mov_reg(R1, R6), mov_imm(R2, IP_CSUM), operand(R3, old), operand(R4, new),
            mov_imm(R5, 4), call(L3_CSUM_REPLACE), _ok(),
            *_store(field, new_at, 4)]


def _replace16(field: int, old_at: tuple, new_at: tuple) -> list:
    """Rewrite the IPv6 address at `field` (old and new: 16 bytes at (register,
    offset)): the TCP checksum by the difference of the two (its pseudo-header; IPv6
    has no header checksum), then the bytes."""
    return [*_ptr(R1, old_at), mov_imm(R2, 16), *_ptr(R3, new_at), mov_imm(R4, 16),
            mov_imm(R5, 0), call(CSUM_DIFF),              # r0 = the difference
            mov_reg(R4, R0),
            mov_reg(R1, R6), mov_imm(R2, TCP6_CSUM), mov_imm(R3, 0),
            mov_imm(R5, F_PSEUDO_HDR), call(L4_CSUM_REPLACE), _ok(),   # size 0: a diff
            *_store(field, new_at, 16)]


def _replace_port(csum: int, field: int, old: int, new: int, new_at: tuple) -> list:
    """Rewrite the TCP port at `field` (old/new: registers holding the values)."""
    return [mov_reg(R1, R6), mov_imm(R2, csum), mov_reg(R3, old), mov_reg(R4, new),
            mov_imm(R5, 2), call(L4_CSUM_REPLACE), _ok(),
            *_store(field, new_at, 2)]


def _redirect(ifindex: tuple | int, flags: int) -> list:
    """To the device (the u32 at (register, offset), or an ifindex): TC_ACT_REDIRECT."""
    target = load(4, R1, *ifindex) if isinstance(ifindex, tuple) else mov_imm(R1, ifindex)
    return [target, mov_imm(R2, flags), call(REDIRECT), exit_()]


def _ends() -> list:
    return ["next", mov_imm(R0, TCX_NEXT), exit_(),
            "drop", mov_imm(R0, TCX_DROP), exit_()]


def lo_out(ports_fd: int, ports6_fd: int) -> bytes:
    """The loopback's egress program: 127.0.0.1 -> 127.0.0.1:HOSTPORT (or [::1] ->
    [::1]:HOSTPORT), TCP, to the container. Stack: the IPv4 key at fp-8 {address, port,
    protocol}; the IPv6 key at fp-4 {port, protocol}, ::1 at fp-24."""
    return assemble([
        mov_reg(R6, R1),                              # r6 = skb (calls clobber r1-r5)
        *_family("v6"),
        *_plain_tcp4(),                               # r2 = the frame
        load(4, R1, R2, IP_DADDR),
        Jump(JNE, R1, LOOPBACK, "next"),              # to 127.0.0.1 only
        load(4, R1, R2, IP_SADDR),
        Jump(JNE, R1, LOOPBACK, "next"),              # from 127.0.0.1 only
        store(4, R10, -8, R1),                        # key.addr = 127.0.0.1  (fp-8)
        load(2, R9, R2, TCP_DPORT),                   # r9 = the host port
        store(2, R10, -4, R9),                        # key.port              (fp-4)
        store_imm(2, R10, -2, IPPROTO_TCP),           # key.proto             (fp-2)
        *_lookup(ports_fd, -8),
        Jump(JEQ, R0, 0, "next"),                     # not a fast-path port
        mov_reg(R7, R0),                              # r7 = the port's value
        # to the container's address (value+0), from SNAT_ADDR (value+12)
        load(4, R8, R7, 0),
        *_replace4(IP_DADDR, ("i", LOOPBACK), ("r", R8), (R7, 0)),
        load(4, R8, R7, 12),
        *_replace4(IP_SADDR, ("i", LOOPBACK), ("r", R8), (R7, 12)),
        load(2, R8, R7, 4),                           # the container's port
        *_replace_port(TCP_CSUM, TCP_DPORT, R9, R8, (R7, 4)),
        *_store(0, (R7, 16), 12),                     # to the container's MAC
        *_redirect((R7, 8), 0),                       # out of the veth's host end
        "v6",
        *_plain_tcp6(),
        *_is_loopback6(IP6_DADDR),                    # to [::1] only
        *_is_loopback6(IP6_SADDR),                    # from [::1] only
        load(2, R9, R2, TCP6_DPORT),                  # r9 = the host port
        store(2, R10, -4, R9),                        # key.port              (fp-4)
        store_imm(2, R10, -2, IPPROTO_TCP),           # key.proto             (fp-2)
        *_lookup(ports6_fd, -4),
        Jump(JEQ, R0, 0, "next"),
        mov_reg(R7, R0),                              # r7 = the port's value
        *_loopback6_at(-24),                          # ::1                   (fp-24)
        *_replace16(IP6_DADDR, (R10, -24), (R7, 0)),  # to the container's address
        *_replace16(IP6_SADDR, (R10, -24), (R7, 24)),  # from SNAT6_ADDR
        load(2, R8, R7, 16),
        *_replace_port(TCP6_CSUM, TCP6_DPORT, R9, R8, (R7, 16)),
        *_store(0, (R7, 40), 12),
        *_redirect((R7, 20), 0),
        *_ends(),
    ])


def _reply_checks(port_at: int) -> list:
    """After the lookup (r0 = the value, its container's port at value+port_at, the
    address compared already): the source port (r8) must be the container's, and the
    segment no SYN without ACK (flags at fp-24)."""
    return [load(2, R1, R0, port_at),
            Jump(JNE, R1, 0, "next", src=R8),         # not from its port
            load(4, R1, R10, -24),
            alu_imm(AND, R1, TCP_SYN | TCP_ACK),
            Jump(JEQ, R1, TCP_SYN, "drop")]           # opening a connection: never


def veth_in(ports_fd: int, ports6_fd: int) -> bytes:
    """The veth's host-end ingress program: a reply container:PORT -> SNAT_ADDR:X back
    to 127.0.0.1:HOSTPORT -> 127.0.0.1:X (container:PORT -> SNAT6_ADDR:X back to [::1]),
    into loopback. Stack: the IPv4 key at fp-8 (IPv6: fp-4), the destination at fp-16,
    the TCP flags at fp-24; IPv6: ::1 at fp-40, the source at fp-56, the destination at
    fp-72; 12 zero bytes at fp-88."""
    if sys.byteorder == "little":
        prefix, port = [alu_imm(AND, R1, 0xFFFF)], [alu_imm(RSH, R1, 16)]
    else:
        prefix, port = [alu_imm(RSH, R1, 16)], [alu_imm(AND, R1, 0xFFFF)]
    zero_macs = [store_imm(8, R10, -88, 0), store_imm(4, R10, -80, 0)]
    return assemble([
        mov_reg(R6, R1),                              # r6 = skb
        *_family("v6"),
        *_plain_tcp4(),                               # r2 = the frame
        load(4, R1, R2, IP_DADDR),
        store(4, R10, -16, R1),                       # the SNAT address     (fp-16)
        *prefix,
        Jump(JNE, R1, SNAT_PREFIX_RAW, "next"),       # not to 198.18.0.0/16
        load(4, R1, R10, -16),
        *port,                                        # r1 = H.L: the host port
        mov_reg(R9, R1),                              # r9 = the host port
        store(2, R10, -4, R1),                        # key.port             (fp-4)
        store_imm(4, R10, -8, LOOPBACK),              # key.addr             (fp-8)
        store_imm(2, R10, -2, IPPROTO_TCP),           # key.proto            (fp-2)
        load(4, R7, R2, IP_SADDR),                    # r7 = the source
        load(2, R8, R2, TCP_SPORT),                   # r8 = its port
        load(1, R1, R2, TCP_FLAGS),
        store(4, R10, -24, R1),                       # the flags            (fp-24)
        *_lookup(ports_fd, -8),
        Jump(JEQ, R0, 0, "next"),                     # no such published port
        load(4, R1, R0, 0),
        Jump(JNE, R1, 0, "next", src=R7),             # not from its container
        *_reply_checks(4),
        *_replace4(IP_SADDR, ("r", R7), ("i", LOOPBACK), (R10, -8)),
        *_replace4(IP_DADDR, ("s", -16), ("i", LOOPBACK), (R10, -8)),
        *_replace_port(TCP_CSUM, TCP_SPORT, R8, R9, (R10, -4)),  # from the host port
        *zero_macs,
        *_store(0, (R10, -88), 12),                   # loopback's MACs: zeros
        *_redirect(LOOPBACK_IFINDEX, F_INGRESS),      # into loopback, as received
        "v6",
        *_plain_tcp6(),
        *[x for i in range(3) for x in (load(4, R1, R2, IP6_DADDR + 4 * i),
                                        Jump(JNE, R1, SNAT6_PREFIX_RAW[i], "next"))],
        load(2, R1, R2, IP6_DADDR + 12),
        Jump(JNE, R1, 0, "next"),                     # not to 2001:2::/112
        load(2, R9, R2, IP6_DADDR + 14),              # r9 = the host port
        store(2, R10, -4, R9),                        # key.port             (fp-4)
        store_imm(2, R10, -2, IPPROTO_TCP),           # key.proto            (fp-2)
        *_copy16(R10, -56, R2, IP6_SADDR),            # the source           (fp-56)
        *_copy16(R10, -72, R2, IP6_DADDR),            # the destination      (fp-72)
        load(2, R8, R2, TCP6_SPORT),                  # r8 = its port
        load(1, R1, R2, TCP6_FLAGS),
        store(4, R10, -24, R1),                       # the flags            (fp-24)
        *_lookup(ports6_fd, -4),
        Jump(JEQ, R0, 0, "next"),
        *[x for i in range(4) for x in (load(4, R1, R0, 4 * i), load(4, R3, R10, -56 + 4 * i),
                                        Jump(JNE, R1, 0, "next", src=R3))],  # its container
        *_reply_checks(16),
        *_loopback6_at(-40),                          # ::1                  (fp-40)
        *_replace16(IP6_SADDR, (R10, -56), (R10, -40)),
        *_replace16(IP6_DADDR, (R10, -72), (R10, -40)),
        *_replace_port(TCP6_CSUM, TCP6_SPORT, R8, R9, (R10, -4)),
        *zero_macs,
        *_store(0, (R10, -88), 12),
        *_redirect(LOOPBACK_IFINDEX, F_INGRESS),
        *_ends(),
    ])
