"""Where the engine keeps things (see ARCHITECTURE.md, "Where things live").

    <root>/teu.db                        containers and volumes tables (with the images')
    <root>/containers/<id>/              config.json (the bundle), upper/, work/, rootfs/,
                                         ctr.log, hostname, hosts, resolv.conf, secrets/
    <root>/volumes/<name>/_data
    <runroot>/runtime/                   teu-runtime's state (--root of the OCI runtime)
    <runroot>/<runtime name>/            another runtime's state (runc, crun)
    <runroot>/exits/<id>                 conmon writes the exit code here
    <runroot>/locks/<id>                 flock held while a container changes state
"""

from __future__ import annotations

import os

DEFAULT_ROOT = "/var/lib/teu"
DEFAULT_RUNROOT = "/run/teu"


class Paths:
    def __init__(self, root: str | None = None, runroot: str | None = None) -> None:
        self.root = os.path.abspath(root or os.environ.get("TEU_ROOT") or DEFAULT_ROOT)
        self.runroot = os.path.abspath(runroot or os.environ.get("TEU_RUNROOT")
                                       or DEFAULT_RUNROOT)

    @property
    def db(self) -> str:
        return os.path.join(self.root, "teu.db")

    def container(self, cid: str, *parts: str) -> str:
        return os.path.join(self.root, "containers", cid, *parts)

    def volume(self, name: str, *parts: str) -> str:
        return os.path.join(self.root, "volumes", name, *parts)

    def runtime_root(self, runtime: str) -> str:
        name = os.path.basename(runtime)
        return os.path.join(self.runroot, "runtime" if name == "teu-runtime" else name)

    def exit_file(self, cid: str) -> str:
        return os.path.join(self.runroot, "exits", cid)

    def lock(self, cid: str) -> str:
        return os.path.join(self.runroot, "locks", cid)

    def layer(self, chain_id: str) -> str:
        return os.path.join(self.root, "layers", chain_id.partition(":")[2] or chain_id)

    def blob(self, digest: str) -> str:
        algo, _, hexpart = digest.partition(":")
        return os.path.join(self.root, "blobs", algo, hexpart)
