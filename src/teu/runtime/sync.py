"""The pipe protocol between the runtime and the processes it forks.

One JSON object a line: {"kind": ..., ...}. The runtime (parent) and the
container's setup processes (children) take turns; EOF means the other side
died, which the reader turns into an error instead of hanging.
"""

from __future__ import annotations

import os

from teu import fastjson

# Above the fds a caller may ask to preserve (--preserve-fds), so that moving
# them into place at 3.. never clobbers ours.
_HIGH_FD = 200


def _high(fd: int) -> int:
    """fd moved to the lowest free number from _HIGH_FD up, close-on-exec: what
    fcntl(F_DUPFD_CLOEXEC) does, without loading the fcntl module (~0.6 ms) on
    the start path. Nothing else of ours opens fds that high meanwhile."""
    new = _HIGH_FD
    while True:
        try:
            os.fstat(new)
        except OSError:
            break
        new += 1
    os.dup2(fd, new, inheritable=False)
    os.close(fd)
    return new


class Channel:
    """A bidirectional message channel over two close-on-exec pipes."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self.read_fd = read_fd
        self.write_fd = write_fd
        self._buf = b""

    def send(self, kind: str, **data: object) -> None:
        data["kind"] = kind
        os.write(self.write_fd, fastjson.dumps(data).encode() + b"\n")

    def recv(self) -> dict:
        """The next message, or {"kind": "eof"} if the other side has gone."""
        while b"\n" not in self._buf:
            chunk = os.read(self.read_fd, 65536)
            if not chunk:
                return {"kind": "eof"}
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return fastjson.loads(line)

    def close(self) -> None:
        for fd in (self.read_fd, self.write_fd):
            try:
                os.close(fd)
            except OSError:
                pass


def channel_pair() -> tuple[Channel, Channel]:
    """(parent end, child end). After fork each side closes the other's end."""
    p2c_r, p2c_w = os.pipe()
    c2p_r, c2p_w = os.pipe()
    fds = [_high(fd) for fd in (p2c_r, p2c_w, c2p_r, c2p_w)]
    return Channel(fds[2], fds[1]), Channel(fds[0], fds[3])
