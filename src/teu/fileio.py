"""File helpers any layer may use: durable writes (the image store's blobs, the registry
server's storage) and what kind of file an fd is.

Neutral (imports nothing from teu), so any layer may use it.
"""

from __future__ import annotations

import os

_SYNC_FILE_RANGE_WRITE = 2
_writeback = None


def start_writeback(fd: int, offset: int, length: int) -> None:
    """sync_file_range(SYNC_FILE_RANGE_WRITE): queue the range for writeback, no wait.

    A hint only: a later fsync then has little left to write. Nothing if libc lacks it.
    """
    global _writeback
    if _writeback is None:
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            fn = libc.sync_file_range
            fn.argtypes = (ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint)
            _writeback = fn
        except (OSError, AttributeError):
            _writeback = False
    if _writeback:
        _writeback(fd, offset, length, _SYNC_FILE_RANGE_WRITE)


def fsync_dir(path: str) -> None:
    """fsync a directory, so that a rename or a new name in it is durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def is_pipe(fd: int) -> bool:
    """fd is a pipe or a socket: a reader that can go away before the writer."""
    import stat

    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
