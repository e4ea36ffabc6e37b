"""A container's network namespace, made by teu before the runtime creates the container.

teu unshares a new namespace on its own thread, keeps an fd to it and steps
back: no bind mount under /run/netns, so nothing to leak if teu is killed. The
runtime joins it by path (/proc/<teu pid>/fd/<fd>, valid while this teu
waits for the create), and from then on the container's init holds it: the
namespace, and the veth inside it, go away with the container's last process.
CNI plugins are given the same path for ADD; a later DEL or CHECK uses
/proc/<init pid>/ns/net (or nothing, once the container is gone: plugins
still release what they hold).

The loopback is brought up here (one ioctl), as docker and podman do.
"""

from __future__ import annotations

import os

SIOCGIFFLAGS, SIOCSIFFLAGS = 0x8913, 0x8914
IFF_UP = 0x1


class NetNS:
    __slots__ = ("fd",)

    def __init__(self, fd: int) -> None:
        self.fd = fd

    @property
    def path(self) -> str:
        return f"/proc/{os.getpid()}/fd/{self.fd}"

    def loopback_up(self) -> None:
        """Bring its loopback up from outside. The kernel takes ~10 ms for the first `lo
        up` of a namespace, so teu does it while a plugin runs, not before."""
        from teu.runtime import linux as L

        sys = L.syscalls()
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        try:
            sys.setns(self.fd, L.CLONE_NEWNET)
            try:
                loopback_up()
            finally:
                sys.setns(home, L.CLONE_NEWNET)
        finally:
            os.close(home)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def new(loopback: bool = True) -> NetNS:
    """A fresh network namespace (loopback up unless told: see NetNS.loopback_up); this
    thread stays where it was."""
    from teu.runtime import linux as L

    sys = L.syscalls()
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        sys.unshare(L.CLONE_NEWNET)
        try:
            fd = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
            if loopback:
                loopback_up()
        finally:
            sys.setns(home, L.CLONE_NEWNET)
    finally:
        os.close(home)
    return NetNS(fd)


def loopback_up() -> None:
    """`ip link set lo up` in the current namespace, with SIOCSIFFLAGS."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    s = libc.socket(2, 2 | 0o2000000, 0)  # AF_INET, SOCK_DGRAM | SOCK_CLOEXEC
    if s < 0:
        raise OSError(ctypes.get_errno(), "socket")
    try:
        ifr = ctypes.create_string_buffer(b"lo", 40)
        if libc.ioctl(s, SIOCGIFFLAGS, ifr) < 0:
            raise OSError(ctypes.get_errno(), "SIOCGIFFLAGS lo")
        flags = int.from_bytes(ifr.raw[16:18], "little") | IFF_UP
        ifr[16:18] = flags.to_bytes(2, "little")
        if libc.ioctl(s, SIOCSIFFLAGS, ifr) < 0:
            raise OSError(ctypes.get_errno(), "SIOCSIFFLAGS lo")
    finally:
        os.close(s)


def of_process(pid: int) -> str:
    return f"/proc/{pid}/ns/net"
