"""Small file helpers without shutil (which imports fnmatch, re, bz2 and lzma: ~5 ms)."""

from __future__ import annotations

import os
import stat


def rmtree(path: str) -> None:
    """Remove path and everything below it; symlinks are removed, never followed."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(path)
        return
    _rmdir_contents(path)
    try:
        os.rmdir(path)
    except FileNotFoundError:
        pass


def _rmdir_contents(path: str) -> None:
    try:
        entries = list(os.scandir(path))
    except PermissionError:
        os.chmod(path, 0o700)  # overlay's work/work is mode 000
        entries = list(os.scandir(path))
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            _rmdir_contents(entry.path)
            try:
                os.rmdir(entry.path)
            except FileNotFoundError:
                pass
        else:
            try:
                os.unlink(entry.path)
            except FileNotFoundError:
                pass
