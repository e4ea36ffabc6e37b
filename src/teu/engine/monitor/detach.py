"""docker's detach keys (default ctrl-p,ctrl-q; --detach-keys): typed into a `run -it`,
they detach the terminal: the container runs on, its monitor keeps logging, and the
`teu` the user started exits 0. A prefix of the sequence is held back until the next
key shows whether it is the sequence (then nothing of it reaches the container) or not
(then all of it does), as docker's escape proxy does."""

from __future__ import annotations

DEFAULT = b"\x10\x11"  # ctrl-p, ctrl-q


class EscapeFilter:
    def __init__(self, keys: bytes = DEFAULT) -> None:
        self.keys = keys
        self.held = b""

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        """(the bytes to pass on, whether the sequence was typed)."""
        out = bytearray()
        for i in range(len(data)):
            byte = data[i:i + 1]
            if byte == self.keys[len(self.held):len(self.held) + 1]:
                self.held += byte
                if self.held == self.keys:
                    self.held = b""
                    return bytes(out), True
                continue
            out += self.held
            self.held = b""
            if byte == self.keys[:1]:
                self.held = byte
            else:
                out += byte
        return bytes(out), False
