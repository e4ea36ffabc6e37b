"""Helpers for the image store and registry client tests: docker-registry, teu, images."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from registry_helpers import (
    TEU,
    free_port,
    run,
    skopeo,
    start_listening,
    stop_server,
    wait_listening,
)

DISTRIBUTION = "/usr/bin/docker-registry"


class Distribution:
    """Debian's docker-registry (CNCF distribution 2.8) on a loopback port; stopped by PID.

    auth: None, "htpasswd" (basic) or "token" (bearer, with `token_realm` a URL that
    issues tokens signed for it: see TokenIssuer)."""

    def __init__(self, work: Path, htpasswd: Path | None = None, delete: bool = True,
                 extra: str = "") -> None:
        self.work = work
        self.work.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.root = work / "data"
        self.htpasswd = htpasswd
        self.delete = delete
        self.extra = extra
        self.proc: subprocess.Popen | None = None
        self.log = work / "registry.log"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def config(self) -> str:
        auth = ""
        if self.htpasswd:
            auth = f"""auth:
  htpasswd:
    realm: teu-test
    path: {self.htpasswd}
"""
        return f"""version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: {self.root}
  delete:
    enabled: {str(self.delete).lower()}
http:
  addr: 127.0.0.1:{self.port}
{auth}{self.extra}"""

    def start(self) -> Distribution:
        cfg = self.work / "config.yml"
        cfg.write_text(self.config())
        self.proc = start_listening([DISTRIBUTION, "serve", str(cfg)], self.log)
        wait_listening(self.proc, self.port, self.log, "docker-registry")
        return self

    def stop(self) -> None:
        stop_server(self.proc)


def teu(root: Path, *args: str, check: bool = True, timeout: float = 300,
        env: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    e.pop("TEU_ROOT", None)
    if env:
        e.update(env)
    p = subprocess.run([TEU, *args[:1], "--root", str(root), *args[1:]], capture_output=True,
                       text=True, timeout=timeout, env=e, input=input)
    if check and p.returncode != 0:
        raise AssertionError(f"teu {' '.join(args)} -> {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def push_layout(layout: Path, tag: str, dest: str, *extra: str) -> None:
    """skopeo copy an OCI layout into a registry (plain HTTP)."""
    skopeo("copy", *extra, f"oci:{layout}:{tag}", f"docker://{dest}", "--dest-tls-verify=false")


def blob_path(registry_root: Path, digest: str) -> Path:
    hexd = digest.split(":", 1)[1]
    return (registry_root / "docker" / "registry" / "v2" / "blobs" / "sha256" / hexd[:2] / hexd
            / "data")


def layout_manifest(layout: Path, tag: str | None = None) -> dict:
    index = json.loads((layout / "index.json").read_text())
    entry = index["manifests"][0]
    if tag:
        entry = next(m for m in index["manifests"]
                     if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag)
    hexd = entry["digest"].split(":")[1]
    return json.loads((layout / "blobs" / "sha256" / hexd).read_text())


__all__ = ["Distribution", "teu", "push_layout", "blob_path", "layout_manifest", "run", "skopeo"]
