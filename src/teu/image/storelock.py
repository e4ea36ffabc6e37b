"""The store's lock file (<root>/store.lock), without the store: writers of new content
hold it shared, garbage collection holds it exclusive, so GC never deletes a blob a
concurrent pull or build has written but not yet registered. A module of its own so a
fully cached `teu build` can hold it without importing teu.image.store."""

from __future__ import annotations

import os


class StoreLock:
    """`with StoreLock(root):` (shared) or `StoreLock(root, exclusive=True)`."""

    def __init__(self, root: str, exclusive: bool = False) -> None:
        self.root = root
        self.exclusive = exclusive
        self.fd = -1

    def __enter__(self) -> StoreLock:
        import fcntl

        os.makedirs(self.root, exist_ok=True)
        self.fd = os.open(os.path.join(self.root, "store.lock"),
                          os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX if self.exclusive else fcntl.LOCK_SH)
        except BaseException:
            os.close(self.fd)
            self.fd = -1
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
