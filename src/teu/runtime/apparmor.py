"""process.apparmorProfile: the profile the kernel confines the user's program to.

As runc does it: "exec PROFILE" written to the process's AppArmor attribute makes
the kernel switch to that profile at the next execve. A profile asked for on a host
without AppArmor is an error (the spec: unsupported values MUST be errors), never a
silently unconfined container.
"""

from __future__ import annotations

import os

from teu.errors import TeuError


class AppArmorError(TeuError):
    pass


def enabled() -> bool:
    """AppArmor is in the kernel and turned on (runc's test)."""
    if not os.path.exists("/sys/kernel/security/apparmor"):
        return False
    try:
        with open("/sys/module/apparmor/parameters/enabled") as f:
            return f.read().startswith("Y")
    except OSError:
        return False


def check(process: dict) -> None:
    """Refuse, before anything is made, a profile this host cannot apply."""
    profile = process.get("apparmorProfile")
    if profile and not enabled():
        raise AppArmorError(f"process.apparmorProfile {profile!r}: AppArmor is not enabled "
                            "on this host")


def apply_on_exec(profile: str | None) -> None:
    """Have the kernel confine this process to `profile` from its next execve on.
    Needs the container's /proc: call it after pivot_root, before the exec."""
    if not profile:
        return
    data = f"exec {profile}".encode()
    # The stacking-aware file first (Linux 5.8+), then the one every LSM shares.
    for path in ("/proc/self/attr/apparmor/exec", "/proc/self/attr/exec"):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            continue
        except OSError as e:
            raise AppArmorError(f"apparmor profile {profile!r}: {path}: {e.strerror}") from None
        try:
            os.write(fd, data)
        except OSError as e:
            raise AppArmorError(f"apparmor profile {profile!r}: {e.strerror}") from None
        finally:
            os.close(fd)
        return
    raise AppArmorError(f"apparmor profile {profile!r}: /proc/self/attr/exec is missing")
