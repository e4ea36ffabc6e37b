"""Make a busybox root filesystem and OCI bundle from Debian's busybox-static.

Tests, benchmarks and the README's demo all start from this: no network, one
static binary, a few hundred applet links, a passwd/group with root, nobody and
a plain user (uid 1000) so user switching can be tested.

    python -m teu.testing.busybox BUNDLE_DIR [-- ARGS...]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

BUSYBOX = "/bin/busybox"

PASSWD = """root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
user:x:1000:1000:a user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
"""
GROUP = """root:x:0:
daemon:x:1:
wheel:x:10:root,user
user:x:1000:
nogroup:x:65534:
"""


def find_busybox() -> str:
    """The static busybox to copy, or a clear error saying which package to install."""
    path = shutil.which("busybox") or BUSYBOX
    if not os.path.exists(path):
        raise FileNotFoundError("busybox not found: apt-get install busybox-static")
    return path


def make_rootfs(rootfs: str) -> str:
    """Fill `rootfs` with busybox, its applet links and a minimal /etc; return it."""
    busybox = find_busybox()
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp",
              "root", "home/user", "var/tmp", "run"):
        os.makedirs(os.path.join(rootfs, d), exist_ok=True)
    os.chmod(os.path.join(rootfs, "tmp"), 0o1777)
    target = os.path.join(rootfs, "bin", "busybox")
    shutil.copy2(busybox, target)
    applets = subprocess.run([busybox, "--list-full"], check=True, capture_output=True,
                             text=True).stdout.split()
    for applet in applets:
        link = os.path.join(rootfs, applet)
        if applet == "bin/busybox" or os.path.lexists(link):
            continue
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink("/bin/busybox", link)
    with open(os.path.join(rootfs, "etc", "passwd"), "w") as f:
        f.write(PASSWD)
    with open(os.path.join(rootfs, "etc", "group"), "w") as f:
        f.write(GROUP)
    os.chown(os.path.join(rootfs, "home", "user"), 1000, 1000)
    return rootfs


def default_config(args: list[str] | None = None, terminal: bool = False) -> dict:
    """A runtime config like `runc spec` writes, for the busybox rootfs."""
    from teu.runtime.spec import default_spec

    config = default_spec()
    config["process"]["args"] = args or ["sh"]
    config["process"]["terminal"] = terminal
    return config


def make_bundle(bundle: str, args: list[str] | None = None, terminal: bool = False) -> str:
    """A complete OCI bundle: rootfs/ plus config.json running `args`."""
    make_rootfs(os.path.join(bundle, "rootfs"))
    write_config(bundle, default_config(args, terminal))
    return bundle


def write_config(bundle: str, config: dict) -> None:
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(config, f, indent=2)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    bundle, args = argv[0], argv[2:] if argv[1:2] == ["--"] else argv[1:]
    make_bundle(bundle, args or None)
    print(bundle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
