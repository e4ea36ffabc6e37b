"""File descriptors over a unix socket pair (SCM_RIGHTS), from the C module alone.

socket.send_fds/recv_fds do the same, but `import socket` costs ~7 ms here (enum and
selectors come with it), paid on a container's start path where the runtime hands the
init its bind mounts' sources (bind_sources). _socket is the C half socket.py wraps;
the fds are packed by hand, not with `array`, which imports collections (~4 ms in a
launcher's interpreter, started without site).
"""

from __future__ import annotations

import _socket
import sys

_INT = 4  # a C int, as SCM_RIGHTS carries each fd


def socketpair() -> tuple[_socket.socket, _socket.socket]:
    """A connected AF_UNIX stream pair, close-on-exec (as every socket Python makes)."""
    return _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)


def send_fds(sock: _socket.socket, data: bytes, fds: list[int]) -> None:
    """`data` (at least one byte: a message with no data carries no fds) with `fds`."""
    packed = b"".join(fd.to_bytes(_INT, sys.byteorder) for fd in fds)
    ancillary = [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, packed)] if fds else []
    sock.sendmsg([data], ancillary)


def recv_fds(sock: _socket.socket, bufsize: int, maxfds: int) -> tuple[bytes, list[int]]:
    """One message and the fds that came with it (b"", [] when the other end closed)."""
    fds: list[int] = []
    data, ancillary, _flags, _addr = sock.recvmsg(
        bufsize, _socket.CMSG_LEN(maxfds * _INT), _socket.MSG_CMSG_CLOEXEC)
    for level, kind, payload in ancillary:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            fds += (int.from_bytes(payload[i:i + _INT], sys.byteorder)
                    for i in range(0, len(payload) - _INT + 1, _INT))
    return data, fds
