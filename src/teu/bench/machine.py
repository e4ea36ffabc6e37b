"""The machine a figure was taken on: every figure carries it (cores, memory, kernel,
load average, virtualisation)."""

from __future__ import annotations

import os
import platform


def _meminfo() -> dict[str, int]:
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            key, _, rest = line.partition(":")
            out[key] = int(rest.split()[0])
    return out


def mem_available_mib() -> int:
    return _meminfo().get("MemAvailable", 0) // 1024


def kvm_kind() -> str:
    """'none', 'kvm_pvm' (paravirtual: cannot boot a stock kernel here), 'kvm_intel',
    'kvm_amd', or 'kvm' when the vendor module is not visible."""
    if not os.path.exists("/dev/kvm"):
        return "none"
    for mod in ("kvm_pvm", "kvm_intel", "kvm_amd"):
        if os.path.isdir(f"/sys/module/{mod}"):
            return mod
    return "kvm"


def facts() -> dict:
    mem = _meminfo()
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg()
    return {"cores": os.cpu_count(), "cpu": model,
            "memory_mib": mem.get("MemTotal", 0) // 1024,
            "mem_available_mib": mem.get("MemAvailable", 0) // 1024,
            "kernel": platform.release(), "load_average": [round(x, 2) for x in load],
            "kvm": kvm_kind(), "hostname": platform.node()}


def line(m: dict) -> str:
    """One line for a caption: `2 cores, 23.5 GiB, kernel 6.18, load 1.6 1.5 1.3`."""
    la = " ".join(f"{x:.2f}" for x in m["load_average"])
    return (f"{m['cores']} cores, {m['memory_mib'] / 1024:.1f} GiB, kernel {m['kernel']}, "
            f"load {la}, /dev/kvm: {m['kvm']}")
