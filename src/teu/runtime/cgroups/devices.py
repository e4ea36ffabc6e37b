"""Device access rules: the spec's linux.resources.devices, with cgroup v1 semantics.

The spec's rules are written for the v1 devices controller, which keeps a
default (allow or deny everything) plus a list of exceptions. Rules apply in
order; "a" (all devices) resets the default and clears the exceptions.
`emulate()` computes that final state without a kernel, so that v1 can move to
it without a window where everything is denied, and v2 (which has no devices
controller, only eBPF programs) can enforce exactly what v1 would.
"""

from __future__ import annotations

from .fs import CgroupError

# What every container gets besides its own rules (runc's list): mknod of any
# node, and the devices the runtime creates in every /dev.
DEFAULT_ALLOWED_DEVICES: list[dict] = [
    {"allow": True, "type": "c", "access": "m"},
    {"allow": True, "type": "b", "access": "m"},
    {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"},    # null
    {"allow": True, "type": "c", "major": 1, "minor": 5, "access": "rwm"},    # zero
    {"allow": True, "type": "c", "major": 1, "minor": 7, "access": "rwm"},    # full
    {"allow": True, "type": "c", "major": 1, "minor": 8, "access": "rwm"},    # random
    {"allow": True, "type": "c", "major": 1, "minor": 9, "access": "rwm"},    # urandom
    {"allow": True, "type": "c", "major": 5, "minor": 0, "access": "rwm"},    # tty
    {"allow": True, "type": "c", "major": 5, "minor": 2, "access": "rwm"},    # ptmx
    {"allow": True, "type": "c", "major": 136, "access": "rwm"},              # pts/*
    {"allow": True, "type": "c", "major": 10, "minor": 200, "access": "rwm"},  # net/tun
]

Key = tuple[str, "int | None", "int | None"]  # (type "b"/"c", major, minor); None = any


class Rule:
    """One normalized rule: access is a subset of "rwm" in that order."""

    __slots__ = ("allow", "type", "major", "minor", "access")

    def __init__(self, allow: bool, type: str, major: int | None, minor: int | None,
                 access: str) -> None:
        self.allow, self.type, self.major, self.minor, self.access = (
            allow, type, major, minor, access)

    def v1(self) -> str:
        """The line devices.allow / devices.deny take."""
        if self.type == "a":
            return "a"
        return f"{self.type} {_num(self.major)}:{_num(self.minor)} {self.access}"

    def __repr__(self) -> str:
        return f"Rule({'allow' if self.allow else 'deny'} {self.v1()})"


class State:
    """The v1 devices controller's model: a default and exceptions {key: access}."""

    def __init__(self, default_allow: bool = True,
                 exceptions: dict[Key, str] | None = None) -> None:
        self.default_allow = default_allow
        self.exceptions: dict[Key, str] = dict(exceptions or {})

    def allowed(self, type: str, major: int, minor: int, access: str) -> bool:
        """Would the kernel let `access` on this device through (its match logic)."""
        want = set(access)
        for (t, ma, mi), acc in self.exceptions.items():
            if t != type or ma not in (None, major) or mi not in (None, minor):
                continue
            if not self.default_allow and want <= set(acc):
                return True
            if self.default_allow and want & set(acc):
                return False
        return self.default_allow

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, State) and other.default_allow == self.default_allow
                and other.exceptions == self.exceptions)

    def __repr__(self) -> str:
        return f"State(default_allow={self.default_allow}, {self.exceptions})"


def normalize(entry: dict) -> Rule:
    """A spec device entry as a Rule; absent type is "a", absent access is "rwm"."""
    if not isinstance(entry, dict) or not isinstance(entry.get("allow"), bool):
        raise CgroupError(f"cgroup: device rule {entry!r} needs a boolean \"allow\"")
    type_ = entry.get("type") or "a"
    if type_ not in ("a", "b", "c"):
        raise CgroupError(f'cgroup: device rule type "{type_}" is not one of a, b, c')
    access = entry.get("access") or "rwm"
    # "a" is accepted and means nothing more, as runc takes it ("rwa" is found in the wild,
    # runc's own tests among them); anything else is a typo worth refusing.
    if not isinstance(access, str) or set(access) - set("rwma") or not set(access) & set("rwm"):
        raise CgroupError(f'cgroup: device rule access "{access}" is not made of r, w, m')
    return Rule(entry["allow"], type_, _wild(entry.get("major")), _wild(entry.get("minor")),
                "".join(c for c in "rwm" if c in access))


def emulate(rules: list[Rule], start: State | None = None) -> State:
    """The state the v1 controller ends in after the rules, from `start` (allow all)."""
    state = State() if start is None else State(start.default_allow, start.exceptions)
    for rule in rules:
        if rule.type == "a":
            # The kernel reads only the "a": the whole rule resets the default.
            state.default_allow, state.exceptions = rule.allow, {}
            continue
        key: Key = (rule.type, rule.major, rule.minor)
        have = state.exceptions.get(key, "")
        if rule.allow != state.default_allow:
            merged = "".join(c for c in "rwm" if c in have or c in rule.access)
            state.exceptions[key] = merged
        else:
            left = "".join(c for c in have if c not in rule.access)
            if left:
                state.exceptions[key] = left
            else:
                state.exceptions.pop(key, None)
    return state


def parse_v1_list(text: str) -> State:
    """devices.list as a State. In allow-all mode the kernel shows only "a *:* rwm"."""
    state = State(default_allow=False)
    for line in text.splitlines():
        fields = line.split()
        if len(fields) != 3:
            continue
        type_, (major, _, minor), access = fields[0], fields[1].partition(":"), fields[2]
        if type_ == "a":
            return State(default_allow=True)
        state.exceptions[(type_, _parse_num(major), _parse_num(minor))] = access
    return state


def v1_writes(current: State, target: State) -> list[tuple[str, str]]:
    """(file, line) writes that move a v1 cgroup from `current` to `target`.

    From a whitelist to a whitelist the move is a diff, allows first, so a
    running container never loses a device it keeps. Otherwise (the kernel does
    not show a blacklist's exceptions) reset with "a" and write all exceptions.
    """
    writes: list[tuple[str, str]] = []
    if not current.default_allow and not target.default_allow:
        for key, acc in target.exceptions.items():
            add = "".join(c for c in acc if c not in current.exceptions.get(key, ""))
            if add:
                writes.append(("devices.allow", _line(key, add)))
        for key, acc in current.exceptions.items():
            drop = "".join(c for c in acc if c not in target.exceptions.get(key, ""))
            if drop:
                writes.append(("devices.deny", _line(key, drop)))
        return writes
    writes.append(("devices.allow" if target.default_allow else "devices.deny", "a"))
    exception_file = "devices.deny" if target.default_allow else "devices.allow"
    for key, acc in target.exceptions.items():
        writes.append((exception_file, _line(key, acc)))
    return writes


def _line(key: Key, access: str) -> str:
    type_, major, minor = key
    return f"{type_} {_num(major)}:{_num(minor)} {access}"


def _wild(value: object) -> int | None:
    """The spec's major/minor: absent, null or -1 mean any."""
    if value is None or value == -1:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CgroupError(f"cgroup: device major/minor {value!r} is not a number")
    return value


def _num(value: int | None) -> str:
    return "*" if value is None else str(value)


def _parse_num(text: str) -> int | None:
    return None if text == "*" else int(text)
