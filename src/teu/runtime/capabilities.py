"""Capability names and the five sets of process.capabilities, applied at exec time.

Order matters (and is runc's): drop the bounding set while we still hold
CAP_SETPCAP, keep capabilities across the uid change, then set effective,
permitted and inheritable, then raise the ambient ones.
"""

from __future__ import annotations

from teu.oci.runtime_config import CAPABILITIES, capability_name
from teu.runtime.linux import (
    PR_CAP_AMBIENT,
    PR_CAP_AMBIENT_CLEAR_ALL,
    PR_CAP_AMBIENT_RAISE,
    PR_CAPBSET_DROP,
    PR_CAPBSET_READ,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from teu.runtime.linux import Syscalls

NAMES = CAPABILITIES
NUMBERS = {name: i for i, name in enumerate(NAMES)}


def last_cap() -> int:
    """The highest capability this kernel knows."""
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            return int(f.read())
    except OSError:
        return len(NAMES) - 1


def mask(names: list[str] | None, known: int) -> int:
    """Bit mask of the named capabilities; ones newer than this kernel are ignored (runc
    does the same, so one config serves older kernels). Names no kernel has are refused
    earlier, by the config's validation."""
    bits = 0
    for name in names or ():
        number = NUMBERS.get(capability_name(name))
        if number is not None and number <= known:
            bits |= 1 << number
    return bits


def drop_bounding(sys: Syscalls, keep: int, known: int) -> None:
    """Drop every capability not in `keep` from the bounding set.

    One prctl per capability dropped (the kernel drops one at a time), none to read
    the set first: dropping one already gone is no error for a holder of CAP_SETPCAP.
    Without CAP_SETPCAP every drop is refused; that is an error only for a capability
    still in the set."""
    for cap in range(known + 1):
        if not keep & (1 << cap):
            try:
                sys.prctl(PR_CAPBSET_DROP, cap)
            except PermissionError:
                if sys.prctl(PR_CAPBSET_READ, cap) == 1:
                    raise


def apply_sets(sys: Syscalls, caps: dict, known: int) -> None:
    """Set effective/permitted/inheritable, then ambient. A container never gets more
    than the runtime holds: capabilities we lack (here root lacks CAP_SYS_RESOURCE)
    are left out rather than failing the start."""
    _, held, _ = sys.capget()
    effective = mask(caps.get("effective"), known) & held
    permitted = mask(caps.get("permitted"), known) & held
    inheritable = mask(caps.get("inheritable"), known) & held
    ambient = mask(caps.get("ambient"), known)
    sys.capset(effective, permitted, inheritable)
    sys.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    for cap in range(known + 1):
        # Ambient needs the cap in both permitted and inheritable (capabilities(7)).
        if ambient & (1 << cap) and permitted & inheritable & (1 << cap):
            sys.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap)
