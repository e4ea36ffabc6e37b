"""Container logs in conmon's k8s-file format, one record a line:

    2026-11-27T09:50:01.123456789+00:00 stdout F a whole line
    2026-11-27T09:50:01.123456789+00:00 stderr P a partial line (no newline yet)

conmon writes them for detached containers; the in-process foreground monitor
writes the same with LogWriter, so `teu logs` reads one format.
"""

from __future__ import annotations

import os
import time


def _stamp(ts: float | None = None) -> bytes:
    ts = time.time() if ts is None else ts
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts))
    return f"{base}.{int(ts % 1 * 1e9):09d}+00:00".encode()


class LogWriter:
    """Appends records; past max_size bytes (--log-opt max-size) the log starts over in a
    new file renamed into place, as conmon's --log-size-max does."""

    def __init__(self, path: str, max_size: int = 0) -> None:
        self.path = path
        self.max_size = max_size
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
        self.written = os.fstat(self.fd).st_size if max_size else 0

    def _start_over(self) -> None:
        tmp = self.path + ".new"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o640)
        os.replace(tmp, self.path)
        os.close(self.fd)
        self.fd = fd
        self.written = 0

    def write(self, stream: str, data: bytes) -> None:
        stamp = _stamp()
        name = stream.encode()
        out = []
        lines = data.split(b"\n")
        for i, line in enumerate(lines):
            last = i == len(lines) - 1
            if last and not line:
                break
            out.append(b"%s %s %s %s\n" % (stamp, name, b"P" if last else b"F", line))
        if self.max_size:  # record by record: one read may hold many lines
            for record in out:
                if self.written and self.written + len(record) > self.max_size:
                    self._start_over()
                self.written += len(record)
                self._write(record)
            return
        self._write(b"".join(out))

    def _write(self, buf: bytes) -> None:
        while buf:
            buf = buf[os.write(self.fd, buf):]

    def close(self) -> None:
        os.close(self.fd)


class Record:
    __slots__ = ("time", "stream", "data")

    def __init__(self, when: float, stream: str, data: bytes) -> None:
        self.time = when
        self.stream = stream
        self.data = data


def parse_line(line: bytes) -> Record | None:
    """One k8s-file line -> Record (data with its newline if the record was whole)."""
    parts = line.rstrip(b"\n").split(b" ", 3)
    if len(parts) < 3:
        return None
    stamp, stream, tag = parts[0], parts[1], parts[2]
    content = parts[3] if len(parts) > 3 else b""
    try:
        when = stamp_time(stamp)
    except (ValueError, IndexError, UnicodeDecodeError):
        return None
    if tag.startswith(b"F"):
        content += b"\n"
    return Record(when, stream.decode(errors="replace"), content)


_SECONDS: dict[bytes, float] = {}  # a stamp without its fraction -> epoch seconds


def stamp_time(stamp: bytes) -> float:
    """A record's RFC 3339 stamp -> epoch seconds. The lines of one second differ only in
    the fraction: its whole-second part is parsed once (a 200000-line log spent most of
    `teu logs` in the date parser)."""
    dot = stamp.find(b".")
    zone = -1
    if dot > 0:
        for mark in (b"Z", b"+", b"-"):
            zone = stamp.find(mark, dot)
            if zone > 0:
                break
    frac = stamp[dot + 1:zone] if zone > 0 else b""
    if not frac.isdigit():
        from teu.engine.timefmt import parse_rfc3339

        return parse_rfc3339(stamp.decode())
    key = stamp[:dot] + stamp[zone:]
    base = _SECONDS.get(key)
    if base is None:
        from teu.engine.timefmt import parse_rfc3339

        if len(_SECONDS) > 4096:
            _SECONDS.clear()
        base = _SECONDS[key] = parse_rfc3339(key.decode())
    return base + float(b"0." + frac)


def read(path: str, tail: int | None = None, since: float | None = None,
         until: float | None = None) -> tuple[list[Record], int]:
    """Records (whole lines are one record; partials join the next), and the file offset."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return [], 0
    end = data.rfind(b"\n") + 1
    records = records_of(data[:end])
    records = [r for r in records if (since is None or r.time >= since)
               and (until is None or r.time <= until)]
    if tail is not None and tail >= 0:
        records = records[-tail:] if tail else []
    return records, end


def records_of(data: bytes) -> list[Record]:
    """The records of whole k8s-file lines. Split on newlines only: a TTY's output keeps
    its carriage returns inside a line (bytes.splitlines would cut there)."""
    return join_partials(parse_line(line) for line in data.split(b"\n") if line)


def join_partials(parsed) -> list[Record]:  # noqa: ANN001
    out: list[Record] = []
    pending: dict[str, Record] = {}
    for r in parsed:
        if r is None:
            continue
        prev = pending.pop(r.stream, None)
        if prev is not None:
            r = Record(prev.time, r.stream, prev.data + r.data)
        if r.data.endswith(b"\n"):
            out.append(r)
        else:
            pending[r.stream] = r
    out.extend(pending.values())
    return out


def format_record(r: Record, timestamps: bool) -> bytes:
    if not timestamps:
        return r.data
    from teu.engine.timefmt import rfc3339

    return rfc3339(r.time).encode() + b" " + r.data
