"""teu.network.bpf's instruction encoder, against the bytes LLVM's BPF assembler gives
(`llvm-mc -triple bpfel -show-encoding`, LLVM 14), and the jump labels of assemble."""

import struct
import sys

import pytest

from teu.network import bpf
from teu.network.bpf import R0, R1, R2, R6, R10

LLVM = [  # (what llvm-mc was given, our encoder, its encoding)
    ("r6 = r1", bpf.mov_reg(R6, R1), "bf16000000000000"),
    ("r1 = *(u32 *)(r6 + 36)", bpf.load(4, R1, R6, 36), "6161240000000000"),
    ("if r1 != 6 goto +3", bpf.jump_imm(bpf.JNE, R1, 6, 3), "5501030006000000"),
    ("*(u64 *)(r10 - 16) = r0", bpf.store(8, R10, -16, R0), "7b0af0ff00000000"),
    ("*(u16 *)(r10 - 4) = r1", bpf.store(2, R10, -4, R1), "6b1afcff00000000"),
    ("r2 += -16", bpf.alu_imm(bpf.ADD, R2, -16), "07020000f0ffffff"),
    ("r1 &= 255", bpf.alu_imm(bpf.AND, R1, 0xFF), "57010000ff000000"),
    ("r1 >>= 24", bpf.alu_imm(bpf.RSH, R1, 24), "7701000018000000"),
    ("call 122", bpf.call(bpf.GET_NETNS_COOKIE), "850000007a000000"),
    ("r0 = 1", bpf.mov_imm(R0, 1), "b700000001000000"),
    ("exit", bpf.exit_(), "9500000000000000"),
    ("if r0 == 0 goto -5", bpf.jump_imm(bpf.JEQ, R0, 0, -5), "1500fbff00000000"),
]


@pytest.mark.skipif(sys.byteorder != "little", reason="encodings are bpfel's")
@pytest.mark.parametrize("text,ours,theirs", LLVM, ids=[t for t, _, _ in LLVM])
def test_encoder_matches_llvm(text, ours, theirs):
    assert ours.hex() == theirs


def test_map_load_is_two_slots_with_the_pseudo_map_fd_source():
    # llvm-mc's "r1 = 3 ll" is 18 01 ...; the loader's map form sets src_reg 1
    code = bpf.ld_map_fd(R1, 3)
    assert code.hex() == "1811000003000000" + "00" * 8


def test_store_immediate():
    # BPF_ST | BPF_MEM | BPF_H = 0x6a, BPF_W = 0x62; dst r10, the offset, the value
    assert bpf.store_imm(2, R10, -2, 6).hex() == "6a0afeff06000000"
    assert bpf.store_imm(4, R10, -8, 0).hex() == "620af8ff00000000"


def test_assemble_resolves_labels_in_slots():
    code = bpf.assemble([
        bpf.Jump(bpf.JEQ, R1, 0, "end"),     # slot 0: over the two-slot load and one more
        bpf.ld_map_fd(R1, 3),                # slots 1-2
        bpf.mov_imm(R0, 0),                  # slot 3
        "end",
        bpf.Jump(bpf.JNE, R0, 1, "end"),     # slot 4: a label just before it: offset -1
        bpf.exit_(),
    ])
    slots = [code[i:i + 8] for i in range(0, len(code), 8)]
    assert len(slots) == 6
    assert struct.unpack_from("=h", slots[0], 2)[0] == 3
    assert struct.unpack_from("=h", slots[4], 2)[0] == -1


def test_programs_end_by_allowing_and_use_their_maps():
    for code, fds in ((bpf.connect4(7, 9), {7, 9}), (bpf.getpeername4(9), {9}),
                      (bpf.connect6(5, 6), {5, 6}), (bpf.getpeername6(6), {6}),
                      (bpf.sendmsg4(7, 8), {7, 8}), (bpf.recvmsg4(8), {8}),
                      (bpf.sendmsg6(5, 4), {5, 4}), (bpf.recvmsg6(4), {4})):
        assert len(code) % 8 == 0
        assert code[-16:] == bpf.mov_imm(R0, 1) + bpf.exit_()
        slots = [code[i:i + 8] for i in range(0, len(code), 8)]
        loads = {struct.unpack_from("=i", s, 4)[0] for s in slots if s[0] == 0x18}
        assert loads == fds
        # every jump lands inside the program
        for i, s in enumerate(slots):
            if s[0] & 0x07 == bpf.JMP and s[0] not in (0x85, 0x95):
                assert 0 <= i + 1 + struct.unpack_from("=h", s, 2)[0] < len(slots)


def test_socklb_keys_and_what_is_redirected():
    from teu.network import socklb

    k = socklb.key(0x1122334455667788, "127.0.0.1", 8080)
    cookie, addr, port, proto = struct.unpack(socklb.KEY, k)
    # the program writes the cookie natively, the address and port as the socket holds
    # them (network order), the protocol as a u16
    assert (cookie, addr, port, proto) == (0x1122334455667788, b"\x7f\0\0\x01",
                                           b"\x1f\x90", 6)
    assert len(k) == 16
    tcp = {"protocol": "tcp", "hostPort": 8080, "containerPort": 80,
           "containerIP": "10.77.0.2", "hostIP": ""}
    assert socklb._redirectable(tcp) and socklb._bound(tcp) == "0.0.0.0"
    assert not socklb._redirectable({**tcp, "protocol": "sctp"})
    assert socklb._redirectable({**tcp, "protocol": "udp"})
    assert not socklb._redirectable({**tcp, "hostIP": "::"})
    assert not socklb._redirectable({**tcp, "containerIP": ""})
    assert socklb._bound({**tcp, "hostIP": "127.0.0.1"}) == "127.0.0.1"
    # a dual-stack mapping: one element per family; -p [::]:... IPv6 only
    dual = {**tcp, "containerIP6": "fd01::2"}
    assert [f for f, _, _ in socklb._elements(dual, 1)] == [4, 6]
    assert [f for f, _, _ in socklb._elements({**dual, "hostIP": "::"}, 1)] == [6]
    assert [f for f, _, _ in socklb._elements({**dual, "hostIP": "0.0.0.0"}, 1)] == [4]
    _, k6, v6 = socklb._elements(dual, 1)[1]
    assert len(k6) == struct.calcsize(socklb.KEY6) == 28
    assert k6[8:24] == b"\0" * 16 and k6[24:26] == b"\x1f\x90"  # ::, port 8080
    assert v6[:16] == bytes.fromhex("fd010000000000000000000000000002")


def test_socklb_unconfigured_says_why(monkeypatch, tmp_path):
    from teu.network import socklb

    monkeypatch.delenv(socklb.ENV, raising=False)
    m = {"protocol": "tcp", "hostPort": 8080, "containerPort": 80,
         "containerIP": "10.77.0.2", "hostIP": ""}
    assert socklb.publish([m]) == f"{socklb.ENV} is not set" and "socketLB" not in m
    assert socklb.state(m) == (True, f"not used ({socklb.ENV} is not set): every client "
                                     "takes the hops below")
    assert socklb.unavailable(str(tmp_path)).endswith("is not a cgroup directory")
    assert socklb.state({**m, "protocol": "sctp"})[1].startswith(
        "not used (only TCP and UDP are redirected)")


@pytest.mark.skipif(sys.byteorder != "little", reason="encodings are bpfel's")
def test_register_jump_matches_llvm():
    # llvm-mc: "if r1 > r3 goto +2" = 2d 31 02 00 00 00 00 00
    code = bpf.assemble([bpf.Jump(bpf.JGT, R1, 0, "x", src=3), bpf.mov_imm(R0, 0),
                         bpf.mov_imm(R0, 1), "x", bpf.exit_()])
    assert code[:8].hex() == "2d31020000000000"


def test_fast_path_programs_use_their_map_and_jump_inside():
    from teu.network import fastpath_programs as progs

    for code in (progs.lo_out(7, 8), progs.veth_in(7, 8)):
        slots = [code[i:i + 8] for i in range(0, len(code), 8)]
        assert {struct.unpack_from("=i", s, 4)[0] for s in slots if s[0] == 0x18} == {7, 8}
        for i, s in enumerate(slots):
            if s[0] & 0x07 == bpf.JMP and s[0] not in (0x85, 0x95):
                assert 0 <= i + 1 + struct.unpack_from("=h", s, 2)[0] < len(slots)
        # "next" hands the packet on (TCX_NEXT), "drop" drops it (TCX_DROP)
        assert code[-32:] == (bpf.mov_imm(R0, -1) + bpf.exit_() + bpf.mov_imm(R0, 2)
                              + bpf.exit_())


def test_fast_path_keys_values_and_what_takes_it():
    from teu.network import fastpath
    from teu.network import fastpath_programs as progs

    assert progs.snat_address(8080) == bytes([198, 18, 31, 144])
    assert progs.snat_address(1) == bytes([198, 18, 0, 1])
    k = progs.key(8080)
    assert k[:6] == bytes([127, 0, 0, 1, 0x1F, 0x90]) and struct.unpack("=H", k[6:])[0] == 6
    v = progs.value("10.77.0.2", 80, 12, 8080, b"\x02" * 6, b"\x04" * 6)
    ip, port, _, ifindex, snat, ctr, bridge = struct.unpack(progs.VALUE, v)
    assert (ip, port, ifindex, ctr, bridge) == (bytes([10, 77, 0, 2]), struct.unpack(
        "=H", b"\x00\x50")[0], 12, b"\x02" * 6, b"\x04" * 6)
    assert snat.to_bytes(4, sys.byteorder) == progs.snat_address(8080)
    assert len(v) == 28  # the programs read the MACs at value+16
    tcp = {"protocol": "tcp", "containerIP": "10.77.0.2", "hostPort": 8080,
           "containerPort": 80}
    assert fastpath.eligible(tcp) and fastpath.eligible(dict(tcp, hostIP="127.0.0.1"))
    assert fastpath.eligible(dict(tcp, hostIP="0.0.0.0"))
    assert not fastpath.eligible(dict(tcp, protocol="udp"))  # no handshake to tell replies
    assert not fastpath.eligible(dict(tcp, hostIP="10.0.0.5"))  # not reached on 127.0.0.1
    assert not fastpath.eligible(dict(tcp, containerIP=""))
    dual = dict(tcp, containerIP6="fd01::2")
    assert fastpath.families(dual) == [4, 6]
    assert fastpath.families(dict(dual, hostIP="::1")) == [6]
    assert fastpath.families(dict(dual, hostIP="127.0.0.1")) == [4]
    assert progs.snat6_address(8080) == bytes.fromhex("20010002" + "00" * 10 + "1f90")
    assert progs.key6(8080)[:2] == bytes([0x1F, 0x90])
    v6 = progs.value6("fd01::2", 80, 12, 8080, b"\x02" * 6, b"\x04" * 6)
    assert len(v6) == 52 and v6[40:52] == b"\x02" * 6 + b"\x04" * 6  # MACs at value+40


def test_nft_fast_path_ports_skip_the_output_dnat():
    from teu.network import nft

    lines = nft._BASE.splitlines()
    bypass = lines.index("add rule ip teu dnat_out ip saddr 127.0.0.1 ip daddr 127.0.0.1 "
                         "tcp dport @fastpath return")
    rules = [i for i, line in enumerate(lines) if line.startswith("add rule ip teu dnat_out")]
    assert rules[0] == bypass > lines.index("flush chain ip teu dnat_out")  # first rule
    assert "ip6 saddr ::1 ip6 daddr ::1 tcp dport @fastpath return" in nft._BASE6
    m = {"protocol": "tcp", "hostPort": 8080, "containerIP": "10.77.0.2",
         "containerPort": 80, "fastPath": {"veth": "veth0", "ifindex": 3}}
    dual = dict(m, containerIP6="fd01::2", fastPath={"families": [4, 6]})
    assert nft.ports_script([dual], add=True).splitlines()[-2:] == [
        "add element ip teu fastpath { 8080 }", "add element ip6 teu fastpath { 8080 }"]
    add = nft.ports_script([m], add=True).splitlines()
    assert add[-2:] == ["add element ip teu ports_any { tcp . 8080 : 10.77.0.2 . 80 }",
                        "add element ip teu fastpath { 8080 }"]
    delete = nft.ports_script([m], add=False).splitlines()
    assert delete[-2:] == ["add element ip teu fastpath { 8080 }",
                           "delete element ip teu fastpath { 8080 }"]
    m.pop("fastPath")
    assert "element ip teu fastpath" not in nft.ports_script([m], add=True)
