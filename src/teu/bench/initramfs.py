"""The VM's initramfs: busybox-static and an /init that prints a marker, as a newc cpio
archive (the format the kernel unpacks, `cpio -H newc`), written by hand because the
format is 110 bytes of hex per file and Debian's cpio is not installed by default."""

from __future__ import annotations

import gzip
import os
import stat

from teu.bench.kernel import NET_MODULES  # virtio-net: a module in the cloud kernel

MARKER = "TEU-BENCH-READY"
NET_MARKER = "TEU-BENCH-HTTPD"
GUEST_IP = "10.0.2.15"  # qemu's user networking gives the guest this address



def init_script(modules: list[str], page: str) -> str:
    """/init: the marker first (time to userland), then the network and busybox httpd
    serving `page` (the throughput row), then an idle shell (the memory row)."""
    loads = "".join(f"insmod /lib/modules/{m}.ko\n" for m in modules)
    return f"""#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
echo {MARKER}
/bin/busybox --install -s /bin
mount -t sysfs sys /sys
{loads}ip link set lo up
ip link set eth0 up && ip addr add {GUEST_IP}/24 dev eth0
mkdir -p /www && echo '{page}' > /www/index.html
httpd -p 80 -h /www && echo {NET_MARKER}
exec sh </dev/console >/dev/console 2>&1
"""


class _Cpio:
    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.ino = 1

    def add(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)
            ) -> None:
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, *rdev, len(name) + 1, 0]
        header = b"070701" + b"".join(b"%08X" % f for f in fields)
        self.ino += 1
        blob = header + name.encode() + b"\0"
        blob += b"\0" * (-len(blob) % 4)
        blob += data + b"\0" * (-len(data) % 4)
        self.parts.append(blob)

    def finish(self) -> bytes:
        self.add("TRAILER!!!", 0)
        return b"".join(self.parts)


def modules_in(module_dir: str | None) -> list[str]:
    """The network modules found under module_dir ([] when any is missing)."""
    found = _find_modules(module_dir)
    return list(NET_MODULES) if all(m in found for m in NET_MODULES) else []


def _find_modules(module_dir: str | None) -> dict[str, str]:
    found: dict[str, str] = {}
    if module_dir:
        for top, _dirs, files in os.walk(module_dir):
            for name in files:
                if name.endswith(".ko") and name[:-3] in NET_MODULES:
                    found[name[:-3]] = os.path.join(top, name)
    return found


def build(busybox: str, module_dir: str | None, out: str, page: str = "x" * 1024) -> list[str]:
    """Write the gzip'd initramfs to `out`; return the network modules it carries
    (none when module_dir lacks them: the guest then boots without a network)."""
    c = _Cpio()
    for d in ("bin", "proc", "sys", "dev", "lib", "lib/modules", "www", "tmp"):
        c.add(d, stat.S_IFDIR | 0o755)
    c.add("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))
    with open(busybox, "rb") as f:
        c.add("bin/busybox", stat.S_IFREG | 0o755, f.read())
    found = _find_modules(module_dir)
    modules = list(NET_MODULES) if all(m in found for m in NET_MODULES) else []
    for m in modules:
        with open(found[m], "rb") as f:
            c.add(f"lib/modules/{m}.ko", stat.S_IFREG | 0o644, f.read())
    c.add("init", stat.S_IFREG | 0o755, init_script(modules, page).encode())
    with open(out, "wb") as f:
        f.write(gzip.compress(c.finish(), compresslevel=1))
    return modules
