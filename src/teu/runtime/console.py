"""The container's terminal: a pty made inside it, its master handed out over a unix socket.

The caller (conmon, podman, `teu-runtime run -t`) listens on --console-socket;
the init sends the pty master there with SCM_RIGHTS, as runc does, and keeps
the slave as its controlling terminal and stdio.
"""

from __future__ import annotations

import fcntl
import os
import struct
import termios


def open_console(size: dict | None, uid: int = 0) -> tuple[int, int, str]:
    """(master, slave, slave path) of a new pty from the container's /dev/ptmx.

    The slave belongs to the process's user, its group stays devpts' (tty, gid=5 in
    the usual mount options): as runc does, and what `mesg`, `write` and sudo expect."""
    master, slave = os.openpty()
    if uid:
        os.fchown(slave, uid, -1)
    if size:
        set_size(slave, size.get("height", 0), size.get("width", 0))
    return master, slave, os.ttyname(slave)


def set_size(fd: int, rows: int, cols: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def send_console(sock_fd: int, master: int) -> None:
    import socket

    sock = socket.socket(fileno=sock_fd)
    try:
        socket.send_fds(sock, [b"/dev/ptmx"], [master])
    finally:
        sock.detach()


def receive_console(sock) -> int:  # noqa: ANN001 - a socket.socket, imported lazily
    import socket

    _, fds, _, _ = socket.recv_fds(sock, 4096, 1)
    if not fds:
        raise OSError(71, "no terminal fd received on the console socket")
    return fds[0]


def make_controlling_terminal(slave: int) -> None:
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    if slave > 2:
        os.close(slave)
