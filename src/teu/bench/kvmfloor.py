"""The floor of a hardware VM's start on this machine: a guest of three instructions
(`mov al, 0x42; out 0x10, al; hlt`) run through /dev/kvm's ioctls directly (create
the VM, give it one page of memory, one vCPU in real mode, run it to the halt).

This is not a Linux boot: no firmware, no kernel, no devices. It is what any VMM pays
before its guest does anything, labelled as such in the report. The ioctl numbers are
linux/kvm.h's for x86-64.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import time

KVM_GET_API_VERSION = 0xAE00
KVM_CREATE_VM = 0xAE01
KVM_GET_VCPU_MMAP_SIZE = 0xAE04
KVM_CREATE_VCPU = 0xAE41
KVM_SET_USER_MEMORY_REGION = 0x4020AE46
KVM_RUN = 0xAE80
KVM_GET_REGS = 0x8090AE81
KVM_SET_REGS = 0x4090AE82
KVM_GET_SREGS = 0x8138AE83
KVM_SET_SREGS = 0x4138AE84
KVM_EXIT_IO = 2
KVM_EXIT_HLT = 5
CODE = bytes([0xB0, 0x42, 0xE6, 0x10, 0xF4])  # mov al,0x42; out 0x10,al; hlt
GUEST_ADDR = 0x1000


class _Region(ctypes.Structure):
    _fields_ = [("slot", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("guest_phys_addr", ctypes.c_uint64), ("memory_size", ctypes.c_uint64),
                ("userspace_addr", ctypes.c_uint64)]


class _Regs(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in (
        "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "r8", "r9", "r10", "r11",
        "r12", "r13", "r14", "r15", "rip", "rflags")]


class _Segment(ctypes.Structure):
    _fields_ = [("base", ctypes.c_uint64), ("limit", ctypes.c_uint32),
                ("selector", ctypes.c_uint16), ("type", ctypes.c_uint8),
                ("present", ctypes.c_uint8), ("dpl", ctypes.c_uint8), ("db", ctypes.c_uint8),
                ("s", ctypes.c_uint8), ("l", ctypes.c_uint8), ("g", ctypes.c_uint8),
                ("avl", ctypes.c_uint8), ("unusable", ctypes.c_uint8),
                ("padding", ctypes.c_uint8)]


class _Sregs(ctypes.Structure):
    _fields_ = [*[(n, _Segment) for n in ("cs", "ds", "es", "fs", "gs", "ss", "tr", "ldt")],
                ("gdt", ctypes.c_uint64 * 2), ("idt", ctypes.c_uint64 * 2),
                *[(n, ctypes.c_uint64) for n in ("cr0", "cr2", "cr3", "cr4", "cr8", "efer",
                                                  "apic_base")],
                ("interrupt_bitmap", ctypes.c_uint64 * 4)]


def _ioctl(libc: ctypes.CDLL, fd: int, request: int, arg: object = 0) -> int:
    r = libc.ioctl(fd, ctypes.c_ulong(request), arg)
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, f"ioctl {request:#x}: {os.strerror(e)}")
    return r


def run_once(device: str = "/dev/kvm") -> float:
    """Seconds from opening /dev/kvm to the guest's halt (VM torn down after)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]
    fds: list[int] = []
    maps: list[mmap.mmap] = []
    t0 = time.perf_counter()
    try:
        kvm = os.open(device, os.O_RDWR | os.O_CLOEXEC)
        fds.append(kvm)
        if _ioctl(libc, kvm, KVM_GET_API_VERSION) != 12:
            raise OSError("unexpected KVM API version")
        vm = _ioctl(libc, kvm, KVM_CREATE_VM)
        fds.append(vm)
        mem = mmap.mmap(-1, 0x1000, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        maps.append(mem)
        mem[:len(CODE)] = CODE
        addr = ctypes.addressof(ctypes.c_char.from_buffer(mem))
        region = _Region(0, 0, GUEST_ADDR, 0x1000, addr)
        _ioctl(libc, vm, KVM_SET_USER_MEMORY_REGION, ctypes.byref(region))
        vcpu = _ioctl(libc, vm, KVM_CREATE_VCPU)
        fds.append(vcpu)
        size = _ioctl(libc, kvm, KVM_GET_VCPU_MMAP_SIZE)
        run = mmap.mmap(vcpu, size, flags=mmap.MAP_SHARED,
                        prot=mmap.PROT_READ | mmap.PROT_WRITE)
        maps.append(run)
        sregs = _Sregs()
        _ioctl(libc, vcpu, KVM_GET_SREGS, ctypes.byref(sregs))
        sregs.cs.base, sregs.cs.selector = 0, 0
        _ioctl(libc, vcpu, KVM_SET_SREGS, ctypes.byref(sregs))
        regs = _Regs()
        regs.rip, regs.rax, regs.rflags = GUEST_ADDR, 0, 2
        _ioctl(libc, vcpu, KVM_SET_REGS, ctypes.byref(regs))
        seen_io = False
        for _ in range(10):
            _ioctl(libc, vcpu, KVM_RUN)
            reason = int.from_bytes(run[8:12], "little")  # struct kvm_run.exit_reason
            if reason == KVM_EXIT_IO:
                seen_io = True
            elif reason == KVM_EXIT_HLT:
                break
            else:
                raise OSError(f"guest exited with reason {reason}, not a halt")
        else:
            raise OSError("guest did not halt")
        if not seen_io:
            raise OSError("guest halted without its port write")
        return time.perf_counter() - t0
    finally:
        for m in maps:
            m.close()
        for fd in reversed(fds):
            os.close(fd)
