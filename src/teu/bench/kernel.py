"""The VM's kernel: Debian's linux-image-cloud-amd64, fetched with `apt-get download`
and unpacked with `dpkg-deb -x` (never installed), kept in one directory:

    DIR/version     e.g. 6.1.0-57-cloud-amd64
    DIR/vmlinuz     the bzImage as Debian ships it
    DIR/vmlinux     the ELF inside it (LZ4, unpacked with Debian's lz4): qemu boots it
                    through its PVH entry, much faster than the bzImage under TCG
    DIR/modules/    the virtio-net modules the guest loads for its network

Standard library only, so `make deps` can run it before teu is installed:

    python3 src/teu/bench/kernel.py [--dest DIR]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

PACKAGE = "linux-image-cloud-amd64"
LZ4_MAGIC = b"\x02\x21\x4c\x18"  # LZ4 legacy frame, as the kernel's boot/compressed writes
NET_MODULES = ("virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev",
               "virtio_pci", "failover", "net_failover", "virtio_net")


class KernelError(Exception):
    """Why there is no kernel for the VM (one line for the report)."""


def default_dir() -> str:
    return os.path.join(os.environ.get("TEU_PEERS", "/usr/local/lib/teu-peers"), "vm-kernel")


def locate(d: str) -> dict | None:
    """{'version', 'kernel' (vmlinux if there, else vmlinuz), 'modules'} or None."""
    try:
        with open(os.path.join(d, "version")) as f:
            version = f.read().strip()
    except OSError:
        return None
    for name in ("vmlinux", "vmlinuz"):
        path = os.path.join(d, name)
        if os.path.exists(path):
            return {"version": version, "kernel": path, "format": name,
                    "modules": os.path.join(d, "modules"), "package": PACKAGE}
    return None


def _run(argv: list[str], cwd: str | None = None) -> str:
    try:
        p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600)
    except FileNotFoundError:
        raise KernelError(f"{argv[0]} not found") from None
    if p.returncode:
        raise KernelError(f"{' '.join(argv[:3])}: {(p.stderr or p.stdout).strip()[-300:]}")
    return p.stdout


def unpack_vmlinux(vmlinuz: str, out: str) -> bool:
    """The ELF kernel out of an LZ4 bzImage (as scripts/extract-vmlinux does); False
    when the image is not LZ4 or lz4 is missing (the bzImage is used then)."""
    with open(vmlinuz, "rb") as f:
        data = f.read()
    at = data.find(LZ4_MAGIC)
    if at < 0 or not shutil.which("lz4"):
        return False
    p = subprocess.run(["lz4", "-dc"], input=data[at:], capture_output=True)
    # lz4 reads past the end of the frame into the image's tail: a warning, not a failure
    if not p.stdout.startswith(b"\x7fELF"):
        return False
    with open(out + ".tmp", "wb") as f:
        f.write(p.stdout)
    os.replace(out + ".tmp", out)
    return True


def fetch(d: str) -> dict:
    """Download and unpack the kernel into `d` (idempotent)."""
    found = locate(d)
    if found:
        return found
    deps = _run(["apt-cache", "depends", PACKAGE])
    real = [line.split(":", 1)[1].strip() for line in deps.splitlines()
            if line.strip().startswith("Depends:") and "linux-image-" in line]
    if not real:
        raise KernelError(f"apt-cache knows no {PACKAGE} (apt-get update?)")
    package = real[0]
    with tempfile.TemporaryDirectory(prefix="teu-vm-kernel-") as work:
        os.chmod(work, 0o755)  # apt's _apt user downloads into it
        _run(["apt-get", "download", "-q", package], cwd=work)
        debs = [f for f in os.listdir(work) if f.endswith(".deb")]
        if not debs:
            raise KernelError(f"apt-get download {package} gave no .deb")
        root = os.path.join(work, "root")
        _run(["dpkg-deb", "-x", os.path.join(work, debs[0]), root])
        boot = os.path.join(root, "boot")
        images = [f for f in os.listdir(boot) if f.startswith("vmlinuz-")]
        if not images:
            raise KernelError(f"{package} has no /boot/vmlinuz-*")
        version = images[0][len("vmlinuz-"):]
        os.makedirs(os.path.join(d, "modules"), exist_ok=True)
        shutil.copy(os.path.join(boot, images[0]), os.path.join(d, "vmlinuz"))
        for top, _dirs, files in os.walk(os.path.join(root, "lib", "modules")):
            for name in files:
                if name.endswith(".ko") and name[:-3] in NET_MODULES:
                    shutil.copy(os.path.join(top, name), os.path.join(d, "modules", name))
        unpack_vmlinux(os.path.join(d, "vmlinuz"), os.path.join(d, "vmlinux"))
        with open(os.path.join(d, "version.tmp"), "w") as f:
            f.write(version + "\n")
        os.replace(os.path.join(d, "version.tmp"), os.path.join(d, "version"))
    found = locate(d)
    assert found is not None
    return found


def main(argv: list[str]) -> int:
    dest = argv[argv.index("--dest") + 1] if "--dest" in argv else default_dir()
    try:
        k = fetch(dest)
    except KernelError as e:
        print(f"vm kernel: {e}", file=sys.stderr)
        return 1
    print(f"vm kernel {k['version']} ({k['format']}) in {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
