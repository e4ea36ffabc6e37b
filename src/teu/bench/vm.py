"""The VM side of `teu bench --vm`: the same busybox userland booted as a Linux guest
under qemu-system-x86 (Debian's cloud kernel, an initramfs whose /init prints a marker;
teu.bench.kernel, teu.bench.initramfs), measuring time to the marker, qemu's PSS idle
at the guest's shell, time to the first HTTP answer and requests per second of the
guest's busybox httpd through qemu's user networking (a host port forwarded by qemu).

KVM is used when it boots the kernel; otherwise qemu's software emulation (TCG), and
the report says why. On a paravirtual KVM (kvm_pvm, no vmx) a stock kernel does not
boot: its emulation faults (cmpxchg16b, xrstor64, popcnt), so the guest never reaches
/init. The /dev/kvm floor (teu.bench.kvmfloor) is reported beside it for what it is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time

from teu.bench import httpload, initramfs, kernel, kvmfloor, machine, procs
from teu.bench.progress import Progress

QEMU = "qemu-system-x86_64"
MEMORY_MIB = 128
KVM_TRY_S = 10.0     # a KVM boot of this kernel reaches /init in well under a second
TCG_BOOT_S = 120.0   # software emulation on a loaded machine is slow, not stuck


class Guest:
    """One qemu process; its serial console read by a thread that stamps markers."""

    def __init__(self, kernel_path: str, initrd: str, accel: str, port: int | None) -> None:
        argv = [QEMU, "-machine", "pc", "-m", str(MEMORY_MIB), "-nodefaults",
                "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot",
                "-kernel", kernel_path, "-initrd", initrd,
                "-append", "console=ttyS0 quiet panic=-1"]
        argv += (["-accel", "kvm", "-cpu", "host"] if accel == "kvm"
                 else ["-accel", "tcg", "-cpu", "max"])
        if port:
            argv += ["-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:{port}-:80",
                     "-device", "virtio-net-pci,netdev=n0,romfile="]
        self.port = port
        self.output: list[str] = []
        self.seen: dict[str, float] = {}
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode(errors="replace")
            self.output.append(line)
            for m in (initramfs.MARKER, initramfs.NET_MARKER):
                if m in line and m not in self.seen:
                    self.seen[m] = time.monotonic() - self.started

    def wait(self, marker: str, timeout: float) -> float | None:
        """Seconds from qemu's start to the marker, or None (timeout, or qemu ended)."""
        while time.monotonic() - self.started < timeout:
            if marker in self.seen:
                return self.seen[marker]
            if self.proc.poll() is not None:
                time.sleep(0.1)
                return self.seen.get(marker)
            time.sleep(0.005)
        return None

    def tail(self, n: int = 3) -> str:
        lines = [ln.strip() for ln in self.output if ln.strip()]
        return " | ".join(lines[-n:])[-300:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.proc.stdin:
            self.proc.stdin.close()
        self._reader.join(5)
        if self.proc.stdout:
            self.proc.stdout.close()


def why_no_kvm() -> str | None:
    """Why KVM cannot even be tried here, or None."""
    if not os.path.exists("/dev/kvm"):
        return "no /dev/kvm"
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
    except OSError as e:
        return f"/dev/kvm: {e.strerror}"
    return None


def choose_accel(want: str, k: dict, initrd: str, track: list[Guest]) -> tuple[str, str]:
    """(accel, why) after trying a KVM boot when `want` is auto."""
    if want == "tcg":
        return "tcg", "asked for (--vm-accel tcg)"
    reason = why_no_kvm()
    if reason:
        if want == "kvm":
            raise RuntimeError(f"KVM asked for but {reason}")
        return "tcg", reason
    g = Guest(k["kernel"], initrd, "kvm", None)
    track.append(g)
    took = g.wait(initramfs.MARKER, KVM_TRY_S)
    g.stop()
    track.remove(g)
    if took is not None:
        return "kvm", f"KVM booted the kernel to /init in {took * 1000:.0f} ms"
    kind = machine.kvm_kind()
    why = (f"KVM ({kind}) did not reach /init in {KVM_TRY_S:.0f} s"
           + (f" (qemu: {g.tail(2)})" if g.proc.returncode not in (None, -9) else ""))
    if kind == "kvm_pvm":
        why += ("; this /dev/kvm is paravirtual (kvm_pvm, no vmx), whose instruction "
                "emulation cannot run a stock kernel (faults at cmpxchg16b, xrstor64, "
                "popcnt)")
    if want == "kvm":
        raise RuntimeError(why)
    return "tcg", why + ": software emulation (TCG) used"


def kvm_floor(runs: int = 20) -> dict:
    reason = why_no_kvm()
    if reason:
        return {"skipped": reason}
    try:
        samples = [kvmfloor.run_once() * 1000 for _ in range(runs)]
    except OSError as e:
        return {"skipped": f"the minimal guest did not run: {e}"}
    return {"what": "a 3-instruction guest (out, hlt) through /dev/kvm ioctls: "
                    "not a Linux boot, the floor of any VMM here",
            "ms": procs.summary(samples)}


class Setup:
    """What every guest of a run boots: the kernel, the initramfs, the accelerator."""

    def __init__(self, k: dict, initrd: str, modules: list[str], accel: str, why: str
                 ) -> None:
        self.kernel, self.initrd, self.modules = k, initrd, modules
        self.accel, self.why = accel, why
        self.limit = TCG_BOOT_S if accel == "tcg" else 30.0

    def boot(self, port: int | None, track: list[Guest]) -> Guest:
        g = Guest(self.kernel["kernel"], self.initrd, self.accel, port)
        track.append(g)
        return g


def prepare(accel_wanted: str, kernel_dir: str | None, workdir: str, bar: Progress,
            track: list[Guest]) -> Setup:
    """The kernel (fetched when missing), the initramfs, and KVM or TCG; RuntimeError
    saying why when no VM can be made here."""
    if not shutil.which(QEMU):
        raise RuntimeError(f"{QEMU} not found: apt-get install qemu-system-x86")
    d = kernel_dir or kernel.default_dir()
    try:
        bar.section("vm: kernel")
        k = kernel.locate(d) or kernel.fetch(d)
    except (kernel.KernelError, OSError) as e:
        raise RuntimeError(f"no kernel for the VM: {e}") from None
    from teu.testing.busybox import find_busybox

    initrd = os.path.join(workdir, "initrd.gz")
    if not os.path.exists(initrd):
        initramfs.build(find_busybox(), k["modules"], initrd, "x" * 1024)
    modules = initramfs.modules_in(k["modules"])
    bar.section("vm: accelerator")
    accel, why = choose_accel(accel_wanted, k, initrd, track)
    return Setup(k, initrd, modules, accel, why)


def measure(runs: int, accel_wanted: str, kernel_dir: str | None, workdir: str,
            host_rps: float | None, seconds: int, bar: Progress, track: list[Guest]) -> dict:
    out: dict = {"kvm_floor": kvm_floor()}
    try:
        setup = prepare(accel_wanted, kernel_dir, workdir, bar, track)
    except RuntimeError as e:
        out["skipped"] = str(e)
        return out
    k, modules, accel = setup.kernel, setup.modules, setup.accel
    out.update(kernel=f"{k['package']} {k['version']} ({k['format']})",
               memory_mib=MEMORY_MIB, qemu=_qemu_version(), accel=accel,
               accel_why=setup.why)
    limit = setup.limit
    boots = []
    guest = None
    try:
        for i in range(runs):
            last = i == runs - 1
            port = httpload.free_port() if last and modules else None
            guest = setup.boot(port, track)
            took = guest.wait(initramfs.MARKER, limit)
            if took is None:
                raise RuntimeError(f"the guest did not reach /init in {limit:.0f} s: "
                                   f"{guest.tail()}")
            boots.append(took * 1000)
            bar.step("vm: boot")
            if not last:
                guest.stop()
                track.remove(guest)
        out["boot_ms"] = procs.summary(boots)
        assert guest is not None
        if not modules:
            out["network"] = "skipped: the kernel's virtio-net modules were not found"
        else:
            ready = httpload.wait_ready(guest.port, guest.started, limit)
            if ready is None:
                out["network"] = f"skipped: no HTTP answer from the guest ({guest.tail()})"
            else:
                out["ready_ms"] = round(ready * 1000, 1)
        time.sleep(2.0)  # idle at the shell
        out["pss_mib"] = procs.mib(procs.pss_kib(guest.proc.pid))
        if "ready_ms" in out:
            rates = [httpload.rps(guest.port, seconds)]
            bar.step("vm: throughput")
            out["throughput_rps"] = round(rates[0], 1)
            out["throughput_tool"] = httpload.tool()
            if host_rps:
                out["throughput_vs_host"] = round(rates[0] / host_rps, 3)
    finally:
        for g in list(track):
            g.stop()
            track.remove(g)
    return out


def _qemu_version() -> str:
    try:
        first = subprocess.run([QEMU, "--version"], capture_output=True, text=True,
                               timeout=10).stdout.splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return ""
    return first.replace("QEMU emulator version ", "")
