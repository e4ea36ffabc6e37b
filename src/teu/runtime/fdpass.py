"""File descriptors over a unix socket pair (SCM_RIGHTS), from the C module alone.

socket.send_fds/recv_fds do the same, but `import socket` costs ~7 ms here (enum and
selectors come with it), paid on a container's start path where a helper hands the
init its bind mounts' sources (bind_sources). _socket is the C half socket.py wraps.
"""

from __future__ import annotations

import _socket
from array import array


def socketpair() -> tuple[_socket.socket, _socket.socket]:
    """A connected AF_UNIX stream pair, close-on-exec (as every socket Python makes)."""
    return _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)


def send_fds(sock: _socket.socket, data: bytes, fds: list[int]) -> None:
    """`data` (at least one byte: a message with no data carries no fds) with `fds`."""
    ancillary = [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, array("i", fds))] if fds else []
    sock.sendmsg([data], ancillary)


def recv_fds(sock: _socket.socket, bufsize: int, maxfds: int) -> tuple[bytes, list[int]]:
    """One message and the fds that came with it (b"", [] when the other end closed)."""
    fds = array("i")
    data, ancillary, _flags, _addr = sock.recvmsg(
        bufsize, _socket.CMSG_LEN(maxfds * fds.itemsize), _socket.MSG_CMSG_CLOEXEC)
    for level, kind, payload in ancillary:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
    return data, list(fds)
