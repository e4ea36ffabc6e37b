"""Device rules: v1 semantics emulated, v1 write plans, and the v2 eBPF program's logic."""

from __future__ import annotations

import itertools
import random

import pytest

from teu.runtime.cgroups import CgroupError, bpf, devices
from teu.runtime.cgroups.devices import State, emulate, normalize, parse_v1_list, v1_writes


def rules(*entries: dict) -> list[devices.Rule]:
    return [normalize(e) for e in entries]


DENY_ALL = {"allow": False, "access": "rwm"}


def test_normalize_defaults_and_v1_lines() -> None:
    assert normalize({"allow": False}).v1() == "a"
    r = normalize({"allow": True, "type": "c", "major": 1, "minor": 3, "access": "mwr"})
    assert (r.access, r.v1()) == ("rwm", "c 1:3 rwm")
    assert normalize({"allow": True, "type": "c", "major": 136, "minor": -1}).v1() == "c 136:* rwm"
    assert normalize({"allow": True, "type": "b", "access": "m"}).v1() == "b *:* m"


@pytest.mark.parametrize("bad", [
    {"type": "c"}, {"allow": "yes"}, {"allow": True, "type": "x"},
    {"allow": True, "access": "rx"}, {"allow": True, "type": "c", "major": "1"},
    {"allow": True, "type": "c", "major": -5},
])
def test_normalize_refuses(bad: dict) -> None:
    with pytest.raises(CgroupError):
        normalize(bad)


def test_emulate_default_container_rules() -> None:
    state = emulate(rules(DENY_ALL, *devices.DEFAULT_ALLOWED_DEVICES))
    assert not state.default_allow
    assert state.allowed("c", 1, 3, "rw")
    assert state.allowed("c", 136, 7, "rwm")
    assert state.allowed("b", 8, 0, "m")
    assert not state.allowed("b", 8, 0, "r")
    assert not state.allowed("c", 1, 4, "r")          # /dev/port is not in the list


def test_emulate_merges_and_removes_access() -> None:
    state = emulate(rules(DENY_ALL,
                          {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "r"},
                          {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "w"},
                          {"allow": False, "type": "c", "major": 1, "minor": 3, "access": "r"}))
    assert state.exceptions == {("c", 1, 3): "w"}


def test_emulate_deny_of_a_different_key_leaves_the_wildcard() -> None:
    # The kernel removes exceptions by exact key: this quirk must be kept.
    state = emulate(rules(DENY_ALL, {"allow": True, "type": "c", "access": "rwm"},
                          {"allow": False, "type": "c", "major": 1, "minor": 3, "access": "w"}))
    assert state.allowed("c", 1, 3, "w")


def test_emulate_blacklist() -> None:
    state = emulate(rules({"allow": True},
                          {"allow": False, "type": "b", "major": 8, "access": "w"}))
    assert state.default_allow
    assert state.allowed("b", 8, 0, "r")
    assert not state.allowed("b", 8, 1, "rw")        # partial overlap denies
    assert state.allowed("c", 8, 0, "w")


def test_a_rule_resets_everything() -> None:
    state = emulate(rules({"allow": True, "type": "c", "major": 1, "minor": 3}, DENY_ALL))
    assert state == State(default_allow=False)


def test_parse_v1_list() -> None:
    assert parse_v1_list("a *:* rwm\n") == State(default_allow=True)
    state = parse_v1_list("c 1:3 rwm\nc 136:* rw\nb *:* m\n")
    assert state.exceptions == {("c", 1, 3): "rwm", ("c", 136, None): "rw", ("b", None, None): "m"}
    assert parse_v1_list("") == State(default_allow=False)


def test_v1_writes_from_allow_all_resets_then_lists() -> None:
    target = emulate(rules(DENY_ALL, {"allow": True, "type": "c", "major": 1, "minor": 3}))
    assert v1_writes(State(), target) == [("devices.deny", "a"), ("devices.allow", "c 1:3 rwm")]


def test_v1_writes_whitelist_diff_allows_first() -> None:
    current = State(False, {("c", 1, 3): "rwm", ("c", 1, 5): "rwm"})
    target = State(False, {("c", 1, 3): "r", ("c", 1, 9): "rwm"})
    assert v1_writes(current, target) == [
        ("devices.allow", "c 1:9 rwm"),
        ("devices.deny", "c 1:3 wm"),
        ("devices.deny", "c 1:5 rwm"),
    ]
    assert v1_writes(target, target) == []


def test_v1_writes_to_blacklist() -> None:
    target = State(True, {("b", 8, None): "w"})
    assert v1_writes(State(False), target) == [("devices.allow", "a"),
                                                ("devices.deny", "b 8:* w")]


REQUESTS = [(t, ma, mi, "".join(acc))
            for t in "bc" for ma in (1, 5, 8, 136) for mi in (0, 3, 9)
            for n in (1, 2, 3) for acc in itertools.combinations("rwm", n)]


@pytest.mark.parametrize("state", [
    emulate(rules(DENY_ALL, *devices.DEFAULT_ALLOWED_DEVICES)),
    State(True, {}),
    State(False, {}),
    State(True, {("b", 8, None): "w", ("c", None, 3): "rm", ("c", 5, 0): "rwm"}),
    State(False, {("c", None, None): "r", ("b", 8, 0): "wm", ("c", 136, None): "rwm"}),
])
def test_bpf_program_decides_like_the_kernel_model(state: State) -> None:
    program = bpf.assemble(state)
    assert len(program) % 8 == 0
    for req in REQUESTS:
        assert bpf.run(program, *req) == state.allowed(*req), req


def test_bpf_program_random_states() -> None:
    rnd = random.Random(7)
    for _ in range(50):
        entries = [{"allow": rnd.random() < 0.5, "type": rnd.choice("abc"),
                    "major": rnd.choice([None, 1, 5, 8]), "minor": rnd.choice([None, 0, 3]),
                    "access": "".join(rnd.sample("rwm", rnd.randint(1, 3)))}
                   for _ in range(rnd.randint(1, 6))]
        state = emulate(rules(*entries))
        program = bpf.assemble(state)
        for req in REQUESTS[::7]:
            assert bpf.run(program, *req) == state.allowed(*req), (entries, req)
