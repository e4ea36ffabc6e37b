"""Attach to a conmon-monitored container: its attach socket (SOCK_SEQPACKET) in the
bundle. Each message from conmon is one byte of stream (2 stdout, 3 stderr) and
the data; what we send is the container's stdin. The socket's path can be longer
than sun_path allows, so we connect through /proc/self/fd/<bundle dir fd>/attach,
as conmon binds it.
"""

from __future__ import annotations

import os
import socket

from teu.engine.errors import EngineError

STDOUT, STDERR = 2, 3


def connect(bundle: str) -> socket.socket:
    dfd = os.open(bundle, os.O_PATH | os.O_CLOEXEC)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        sock.connect(f"/proc/self/fd/{dfd}/attach")
    except OSError as e:
        sock.close()
        raise EngineError(f"attach: {e.strerror} (is the container running?)") from None
    finally:
        os.close(dfd)
    return sock


def resize(bundle: str, rows: int, cols: int) -> None:
    """conmon's ctl fifo: "1 ROWS COLS" resizes the container's terminal."""
    try:
        fd = os.open(os.path.join(bundle, "ctl"), os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.write(fd, f"1 {rows} {cols}\n".encode())
    except OSError:
        pass
    finally:
        os.close(fd)


def pump(sock: socket.socket, stdin: bool, out: int = 1, err: int = 2,
         stdin_fd: int = 0) -> None:
    """Copy between the socket and our stdio until conmon closes the socket."""
    import select

    watch = [sock] + ([stdin_fd] if stdin else [])
    while True:
        ready, _, _ = select.select(watch, [], [])
        if sock in ready:
            try:
                msg = sock.recv(65536)
            except OSError:
                return
            if not msg:
                return
            target = err if msg[0] == STDERR else out
            if target < 0:
                continue  # a stream not attached (run -a): conmon still logs it
            data = memoryview(msg)[1:]
            while data:
                data = data[os.write(target, data):]
        if stdin_fd in ready:
            data = os.read(stdin_fd, 65536)
            if not data:
                watch.remove(stdin_fd)
                try:
                    sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                continue
            try:
                sock.sendall(data)
            except OSError:
                watch.remove(stdin_fd)
