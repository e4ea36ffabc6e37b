"""Reading and writing cgroupfs files, and the one error type of this package.

cgroupfs reports a bad value only as an errno on write(2), so every write goes
through `write()`, which turns the OSError into a one-line CgroupError that
names the file and the value: that is what a user needs to fix the config.
"""

from __future__ import annotations

import os

from teu.errors import TeuError


class CgroupError(TeuError):
    """A cgroup could not be made, configured, read or removed."""


def write(directory: str, name: str, value: str | int) -> None:
    """Write one value to `directory/name` (cgroupfs takes a whole value per write)."""
    text = str(value)
    try:
        fd = os.open(os.path.join(directory, name), os.O_WRONLY | os.O_TRUNC | os.O_CLOEXEC)
    except OSError as e:
        raise CgroupError(f'cgroup: writing "{text}" to {name}: {_reason(e)}') from None
    try:
        os.write(fd, text.encode())
    except OSError as e:
        raise CgroupError(f'cgroup: writing "{text}" to {name}: {_reason(e)}') from None
    finally:
        os.close(fd)


def join_self(task_files: list[str]) -> None:
    """Move the calling process (one thread) into each v1 hierarchy whose `tasks` file
    is listed (Manager.self_join_files): "0" is "me", written with no threadgroup lock,
    so with no RCU grace-period wait (the init and exec's stage 1 use it)."""
    for path in task_files:
        directory, _, name = path.rpartition("/")
        write(directory, name, "0")


def read_text(path: str) -> str:
    """A whole cgroupfs file. os.read, not open(): no text layer to build, and no
    codec to import (encoding="ascii" loads encodings.ascii, ~0.5 ms at each start);
    cgroupfs writes ASCII, which utf-8 (always loaded) decodes the same."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks).decode()


def read(directory: str, name: str) -> str:
    """The content of `directory/name` without the trailing newline."""
    try:
        return read_text(os.path.join(directory, name)).rstrip("\n")
    except OSError as e:
        raise CgroupError(f"cgroup: reading {name}: {_reason(e)}") from None


def read_or(directory: str, name: str, default: str = "") -> str:
    """Like read(), but `default` when the file does not exist (a controller we lack)."""
    try:
        return read_text(os.path.join(directory, name)).rstrip("\n")
    except FileNotFoundError:
        return default
    except OSError as e:
        raise CgroupError(f"cgroup: reading {name}: {_reason(e)}") from None


def read_int(directory: str, name: str, default: int = 0) -> int:
    """A single-number file; "max" reads as -1; a missing file reads as `default`."""
    text = read_or(directory, name, "").strip()
    if not text:
        return default
    if text == "max":
        return -1
    return int(text)


def read_keyed(directory: str, name: str) -> dict[str, int]:
    """A "key value" per line file (memory.stat, cpu.stat, cgroup.events); missing -> {}."""
    out: dict[str, int] = {}
    for line in read_or(directory, name).splitlines():
        key, _, value = line.partition(" ")
        try:
            out[key] = int(value)
        except ValueError:
            continue
    return out


def exists(directory: str, name: str) -> bool:
    return os.path.exists(os.path.join(directory, name))


def _reason(e: OSError) -> str:
    reason = e.strerror or str(e)
    hint = _HINTS.get(e.errno or 0)
    return f"{reason} ({hint})" if hint else reason


# Why the kernel says what it says, for the errnos whose text misleads.
_HINTS = {
    16: "in use, or below current usage",  # EBUSY: a limit under usage, or children
    28: "the cgroup has no cpus/mems or a limit is reached",  # ENOSPC
    95: "not supported by this kernel or device",  # EOPNOTSUPP
}
