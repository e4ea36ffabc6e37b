#!/usr/bin/env python3
"""teu-runtime run vs runc run vs crun run of /bin/true on the same busybox bundle.

Runs every runtime each round, in a shuffled order, so drift hits all alike;
prints the median, the ratio to runc and to crun. crun 1.8.1 refuses this host's
hybrid cgroup layout, so (as HOST-NOTES says) it runs in a private mount
namespace where /sys/fs/cgroup/unified is unmounted; the host is untouched.

teu-runtime is measured as installed two ways: `make install`'s launcher (next to
this interpreter) and a plain `pip install` of this tree into a throwaway venv
(non-editable, --no-deps: teu-runtime imports nothing outside the standard library,
and no dependency ships a .pth file), whose script turns itself into the launcher
after its first (warm-up) start. Beside them, from the same venv: the script as pip
installed it, run under another name so that it never settles (what a read-only
install keeps), and pip's console_scripts wrapper, to show what that entry point
costs (teu's before scripts/). Where /usr/bin/python3 is another build than this
interpreter (here: Debian's, static and PGO-built, beside a pyenv one), a pip
install into a venv of it too ("pip, sys"): what `apt install python3-venv` users get.

The kernel's cgroup attach: the first write to a cgroup.procs waits for an RCU grace
period (~10 ms here) unless another was made within about one (runc and crun write one
on every start; teu-runtime's init is cloned into its cgroup and joins the rest without
one). Back to back (the default), a runtime may find it warm from the one before;
`--attach cold` waits 100 ms before each run (a host where no container started just
before), `--attach warm` makes such a write of this process's own right before each run
(a host starting containers all the time).

`--userns` runs every runtime on a bundle with a user namespace (root mapped to host
uid 100000, the rootfs chowned to it): teu-runtime clones such an init itself, into the
new user namespace (init.clone_init); stage 1 (init.stage1) is left for time and joined
namespaces, which this bundle has none of. `--binds N` adds N read-only file bind mounts
(the first three at /etc/hosts, /etc/hostname, /etc/resolv.conf, as an engine's
container has them): with --userns, what a user-namespaced container of podman's is, whose
sources teu-runtime opens as the host's root in the init's mount namespace (bind_sources).
`--extra NAME=PATH` adds another runtime binary to the rotation (an A/B: a launcher of
an older tree of teu, say).

    python3 bench/runtime_run.py [--rounds 30] [--no-pip] [--attach mixed|cold|warm]
                                 [--userns] [--binds N] [--extra NAME=PATH ...]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from teu.testing import busybox


def teu_runtime() -> str:
    here = os.path.join(os.path.dirname(sys.executable), "teu-runtime")
    return here if os.path.exists(here) else shutil.which("teu-runtime") or "teu-runtime"


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# pip's wrapper for a console_scripts entry point (pip 23's template, as it writes it).
CONSOLE_SCRIPT = """#!{python}
# -*- coding: utf-8 -*-
import re
import sys
from teu.runtime.cli.main import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(main())
"""


# The distribution's own interpreter (Debian's: statically linked, LTO and PGO), where
# it is not the one running this script (a pyenv build: shared libpython, neither).
SYSTEM_PYTHON = "/usr/bin/python3"


def pip_venv(python: str, venv: str) -> str:
    """A new venv of `python` with a real `pip install` of this tree; its teu-runtime."""
    subprocess.run([python, "-m", "venv", venv], check=True)
    subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", "--no-deps", REPO],
                   check=True, stdout=subprocess.DEVNULL)
    return os.path.join(venv, "bin", "teu-runtime")


def pip_installed(tmp: str) -> dict[str, str]:
    """teu-runtime from `pip install` of this tree in a new venv, the same script kept
    as shipped, and a console_scripts wrapper of the same install; and a pip install
    into a venv of the system's python3, when that is another build."""
    venv = os.path.join(tmp, "venv")
    pip_venv(sys.executable, venv)
    wrapper = os.path.join(venv, "bin", "teu-runtime-console-script")
    with open(wrapper, "w") as f:
        f.write(CONSOLE_SCRIPT.format(python=os.path.join(venv, "bin", "python3")))
    os.chmod(wrapper, 0o755)
    script = os.path.join(venv, "bin", "teu-runtime")
    shipped = os.path.join(venv, "bin", "teu-runtime-as-shipped")
    shutil.copy2(script, shipped)  # settle() rewrites only the names it installs
    found = {"teu (pip)": script, "teu (shipped)": shipped, "teu (wrapper)": wrapper}
    ours = os.path.realpath(sys.executable)
    if os.path.exists(SYSTEM_PYTHON) and os.path.realpath(SYSTEM_PYTHON) != ours:
        found["teu (pip, sys)"] = pip_venv(SYSTEM_PYTHON, os.path.join(tmp, "venv-system"))
    return found


def commands(bundle: str, state: str, pip: dict[str, str] | None = None,
             extra: dict[str, str] | None = None) -> dict[str, list[str]]:
    crun = ("umount /sys/fs/cgroup/unified 2>/dev/null; "
            f"exec crun --root {state}/crun run --bundle {bundle} bench-crun")
    cmds = {
        "teu (launcher)": [teu_runtime(), "--root", f"{state}/teu", "run", "--bundle", bundle,
                        "bench-teu"],
        "runc": ["runc", "--root", f"{state}/runc", "run", "--bundle", bundle, "bench-runc"],
    }
    if pip:
        for name, path in pip.items():
            cmds[name] = [path, "--root", f"{state}/teu", "run", "--bundle", bundle,
                          "bench-" + name[5:-1].replace(", ", "-")]
    for i, (name, path) in enumerate((extra or {}).items()):
        cmds[name] = [path, "--root", f"{state}/teu", "run", "--bundle", bundle,
                      f"bench-extra{i}"]
    if shutil.which("crun"):
        # The unshare+sh wrapper costs ~2 ms; measured below and subtracted.
        cmds["crun"] = ["unshare", "-m", "--propagation", "private", "sh", "-c", crun]
        cmds["(wrapper)"] = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                             "umount /sys/fs/cgroup/unified 2>/dev/null; exec true"]
    return cmds


CPU: dict[str, list[float]] = {}


def own_procs_file() -> str | None:
    """This process's cgroup.procs in one hierarchy (any will do: the wait is global)."""
    with open("/proc/self/cgroup") as f:
        lines = [line.rstrip("\n").split(":", 2) for line in f]
    for _, controllers, path in lines:
        if "pids" in controllers.split(",") or controllers == "":
            base = "/sys/fs/cgroup/pids" if controllers else "/sys/fs/cgroup"
            if os.path.exists(base + path.rstrip("/") + "/cgroup.procs"):
                return base + path.rstrip("/") + "/cgroup.procs"
    return None


def before_run(attach: str, procs: str | None) -> None:
    if attach == "cold":
        time.sleep(0.1)
    elif attach == "warm" and procs:
        fd = os.open(procs, os.O_WRONLY)
        try:
            os.write(fd, b"0")  # moves this process where it is: only the wait is paid
        finally:
            os.close(fd)


def time_once(cmd: list[str], name: str = "") -> float:
    """Wall time; the CPU time (user + system, the process and what it reaped) goes
    to CPU[name]: on a loaded machine it says more about the work than wall time."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise subprocess.CalledProcessError(p.returncode, cmd)
    CPU.setdefault(name, []).append(usage.ru_utime + usage.ru_stime)
    return wall


def in_user_namespace(config: dict, tmp: str, bundle: str) -> None:
    """A user namespace whose root is host uid/gid 100000, owner of the rootfs; no cgroup
    mount (a v1 one cannot be made from a user namespace without a cgroup namespace)."""
    config["linux"]["namespaces"].append({"type": "user"})
    for key in ("uidMappings", "gidMappings"):
        config["linux"][key] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    config["mounts"] = [m for m in config["mounts"] if m["type"] != "cgroup"]
    subprocess.run(["chown", "-R", "100000:100000", os.path.join(bundle, "rootfs")],
                   check=True)
    os.chmod(tmp, 0o755)  # the mapped root walks to the rootfs


ENGINE_FILES = ("/etc/hosts", "/etc/hostname", "/etc/resolv.conf")


def with_binds(config: dict, tmp: str, count: int) -> None:
    """`count` read-only file bind mounts, from files of the host's (under tmp)."""
    for i in range(count):
        source = os.path.join(tmp, f"bind-{i}")
        with open(source, "w") as f:
            f.write(f"bind {i}\n")
        dest = ENGINE_FILES[i] if i < len(ENGINE_FILES) else f"/mnt/bind-{i}"
        config["mounts"].append({"destination": dest, "type": "bind", "source": source,
                                 "options": ["rbind", "ro", "nosuid", "nodev"]})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--no-pip", action="store_true", help="skip the pip-installed venv")
    ap.add_argument("--attach", choices=("mixed", "cold", "warm"), default="mixed",
                    help="the kernel's cgroup-attach wait before each run (see above)")
    ap.add_argument("--userns", action="store_true",
                    help="a container with a user namespace (see above)")
    ap.add_argument("--binds", type=int, default=0, metavar="N",
                    help="N file bind mounts (see above)")
    ap.add_argument("--extra", action="append", default=[], metavar="NAME=PATH",
                    help="another runtime binary to time alongside")
    args = ap.parse_args()
    extra = dict(e.split("=", 1) for e in args.extra)
    procs = own_procs_file()
    with tempfile.TemporaryDirectory(prefix="teu-bench-") as tmp:
        pip = None if args.no_pip else pip_installed(tmp)
        bundle = os.path.join(tmp, "bundle")
        busybox.make_bundle(bundle, ["/bin/true"])
        config = busybox.default_config(["/bin/true"])
        config["ociVersion"] = "1.0.2"  # crun 1.8.1 refuses newer versions
        if args.userns:
            in_user_namespace(config, tmp, bundle)
        with_binds(config, tmp, args.binds)
        busybox.write_config(bundle, config)
        cmds = commands(bundle, tmp, pip, extra)
        samples: dict[str, list[float]] = {name: [] for name in cmds}
        for cmd in cmds.values():  # warm caches once
            time_once(cmd)
        order = list(cmds)
        for _ in range(args.rounds):
            # A fresh order every round: a cgroup attach is cheaper right after another
            # one (the kernel's rcu_sync stays in its slow mode for a grace period), so
            # a fixed order would favour whoever follows the runtime before it.
            random.shuffle(order)
            for name in order:
                before_run(args.attach, procs)
                samples[name].append(time_once(cmds[name], name))
    med = {name: statistics.median(s) * 1000 for name, s in samples.items()}
    cpu = {name: statistics.median(CPU[name]) * 1000 for name in samples}
    if "crun" in med:
        med["crun"] -= med.pop("(wrapper)")
        cpu["crun"] -= cpu.pop("(wrapper)")
    what = "run of /bin/true" + (" in a user namespace" if args.userns else "") + (
        f" with {args.binds} bind mounts" if args.binds else "")
    print(f"{what}, median of {args.rounds} alternating rounds, cgroup attach "
          f"{args.attach} (load average {os.getloadavg()[0]:.1f}):")
    print(f"  {'':14s} {'wall':>9s}   {'':24s} {'cpu':>9s}")
    for name, ms in med.items():
        ratios = ", ".join(f"{ms / med[p]:.2f}x {p}" for p in ("runc", "crun")
                           if p in med and p != name)
        print(f"  {name:14s} {ms:6.1f} ms   ({ratios:22s}) {cpu[name]:6.1f} ms "
              f"({cpu[name] / cpu['runc']:.2f}x runc)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
