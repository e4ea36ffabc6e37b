"""Mount options as the spec writes them ("ro", "nosuid", "rbind", "mode=755") to mount(2) flags."""

from __future__ import annotations

from teu.errors import TeuError
from teu.runtime import linux as L

# option -> (clear?, flag)
_FLAGS: dict[str, tuple[bool, int]] = {
    "ro": (False, L.MS_RDONLY), "rw": (True, L.MS_RDONLY),
    "nosuid": (False, L.MS_NOSUID), "suid": (True, L.MS_NOSUID),
    "nodev": (False, L.MS_NODEV), "dev": (True, L.MS_NODEV),
    "noexec": (False, L.MS_NOEXEC), "exec": (True, L.MS_NOEXEC),
    "sync": (False, L.MS_SYNCHRONOUS), "async": (True, L.MS_SYNCHRONOUS),
    "dirsync": (False, L.MS_DIRSYNC),
    "remount": (False, L.MS_REMOUNT),
    "mand": (False, L.MS_MANDLOCK), "nomand": (True, L.MS_MANDLOCK),
    "noatime": (False, L.MS_NOATIME), "atime": (True, L.MS_NOATIME),
    "nodiratime": (False, L.MS_NODIRATIME), "diratime": (True, L.MS_NODIRATIME),
    "relatime": (False, L.MS_RELATIME), "norelatime": (True, L.MS_RELATIME),
    "strictatime": (False, L.MS_STRICTATIME), "nostrictatime": (True, L.MS_STRICTATIME),
    "lazytime": (False, L.MS_LAZYTIME), "nolazytime": (True, L.MS_LAZYTIME),
    "nosymfollow": (False, L.MS_NOSYMFOLLOW), "symfollow": (True, L.MS_NOSYMFOLLOW),
    "bind": (False, L.MS_BIND), "rbind": (False, L.MS_BIND | L.MS_REC),
    "silent": (False, L.MS_SILENT), "loud": (True, L.MS_SILENT),
}
PROPAGATION = {
    "private": L.MS_PRIVATE, "rprivate": L.MS_PRIVATE | L.MS_REC,
    "shared": L.MS_SHARED, "rshared": L.MS_SHARED | L.MS_REC,
    "slave": L.MS_SLAVE, "rslave": L.MS_SLAVE | L.MS_REC,
    "unbindable": L.MS_UNBINDABLE, "runbindable": L.MS_UNBINDABLE | L.MS_REC,
}
# Options the runtime itself acts on, not the kernel.
_EXTENSIONS = {"tmpcopyup", "rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev", "rnoexec",
               "rexec", "rnoatime", "ratime", "rrelatime", "rstrictatime", "rnodiratime",
               "rdiratime", "rnosymfollow", "rsymfollow"}
_UNSUPPORTED = {"idmap", "ridmap"}


# Recursive options (runtime-spec 1.1, runc 1.1): mount_setattr(2) with AT_RECURSIVE.
# option -> (MOUNT_ATTR_* to set, to clear); the atime ones replace the whole atime field.
_ATIME = 0x70
RECURSIVE: dict[str, tuple[int, int]] = {
    "rro": (0x1, 0), "rrw": (0, 0x1), "rnosuid": (0x2, 0), "rsuid": (0, 0x2),
    "rnodev": (0x4, 0), "rdev": (0, 0x4), "rnoexec": (0x8, 0), "rexec": (0, 0x8),
    "rnoatime": (0x10, _ATIME), "ratime": (0, 0x10), "rrelatime": (0, _ATIME),
    "rstrictatime": (0x20, _ATIME), "rnodiratime": (0x80, 0), "rdiratime": (0, 0x80),
    "rnosymfollow": (0x200000, 0), "rsymfollow": (0, 0x200000),
}


def recursive_attrs(extensions: list[str] | set[str]) -> tuple[int, int]:
    """(attr_set, attr_clr) for mount_setattr from the recursive options given."""
    attr_set = attr_clr = 0
    for name in extensions:
        if name in RECURSIVE:
            add, clear = RECURSIVE[name]
            attr_set, attr_clr = (attr_set & ~clear) | add, (attr_clr & ~add) | clear
    return attr_set, attr_clr


class MountOptionError(TeuError):
    pass


class Options:
    """A parsed option list (a plain class: typing.NamedTuple costs an import of typing)."""

    __slots__ = ("flags", "propagation", "data", "extensions")

    def __init__(self, flags: int, propagation: list[int], data: str,
                 extensions: set[str]) -> None:
        self.flags = flags
        self.propagation = propagation
        self.data = data
        self.extensions = extensions


def parse(options: list[str] | None) -> Options:
    """Split the spec's options into mount flags, propagation changes, fs data, extensions."""
    flags = 0
    propagation: list[int] = []
    data: list[str] = []
    extensions: set[str] = set()
    for opt in options or ():
        if opt in _FLAGS:
            clear, bit = _FLAGS[opt]
            flags = flags & ~bit if clear else flags | bit
        elif opt in PROPAGATION:
            propagation.append(PROPAGATION[opt])
        elif opt in _EXTENSIONS:
            extensions.add(opt)
        elif opt in _UNSUPPORTED:
            raise MountOptionError(f"mount option {opt!r} (id-mapped mounts) is not supported")
        else:
            data.append(opt)
    return Options(flags, propagation, ",".join(data), extensions)
