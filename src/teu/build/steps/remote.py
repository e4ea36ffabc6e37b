"""ADD of a URL (optionally pinned with --checksum) or a git repository (the machine's
git; `URL.git#ref:subdir`, --keep-git-dir).

A downloaded file is mode 0600 (docker's), named after the URL's last path
component, with the Last-Modified time as mtime; it is not extracted even if it is
an archive. A git source is cloned at the ref (a branch, tag or commit) and its
tree (or subdir) copied like a directory; .git is left out unless --keep-git-dir.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import subprocess
import tempfile
from email.utils import parsedate_to_datetime

from teu.build.dockerfile import instructions as I
from teu.build.errors import BuildError
from teu.build.steps import copy as CP

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs ~3 ms

if TYPE_CHECKING:
    from teu.build.builder import Builder as Build


def is_git(src: str) -> bool:
    base = src.split("#", 1)[0]
    return src.startswith("git@") or base.endswith(".git") or src.startswith("git://")


def fetch(build: Build, ins: I.Add, src: str, target: str, into_dir: bool,  # noqa: ANN001
          chown: tuple[int, int] | None, chmod: str) -> list[CP.Item]:
    if is_git(src):
        return _git(build, ins, src, target, chown, chmod)
    return [_url(ins, src, target, into_dir, chown, chmod)]


def _url(ins: I.Add, url: str, target: str, into_dir: bool, chown: tuple[int, int] | None,
         chmod: str) -> CP.Item:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=60) as r:  # noqa: S310 - the user's URL
            data = r.read()
            modified = r.headers.get("Last-Modified")
    except urllib.error.HTTPError as e:
        raise BuildError(f"ADD {url}: invalid response status {e.code}") from None
    except (urllib.error.URLError, OSError) as e:
        raise BuildError(f"ADD {url}: {getattr(e, 'reason', e)}") from None
    if ins.checksum:
        algo, _, want = ins.checksum.partition(":")
        if algo not in ("sha256", "sha384", "sha512") or not want:
            raise BuildError(f"ADD --checksum={ins.checksum}: expected sha256:HEX")
        got = hashlib.new(algo, data).hexdigest()
        if got != want:
            raise BuildError(f"ADD {url}: digest mismatch {algo}:{got}: expected "
                             f"{ins.checksum}")
    name = posixpath.basename(url.split("?", 1)[0].rstrip("/")) or "download"
    dest = posixpath.join(target, name) if into_dir else target
    mtime = 0
    if modified:
        try:
            mtime = int(parsedate_to_datetime(modified).timestamp()) * 1_000_000_000
        except (TypeError, ValueError):
            mtime = 0
    mode = 0o600
    if chmod:
        octal, clauses = CP.parse_chmod(chmod)
        mode = CP.apply_chmod(mode, octal, clauses, False)
    return CP.data_item(dest, data, mode, chown, mtime)


def _git(build: Build, ins: I.Add, src: str, target: str, chown: tuple[int, int] | None,  # noqa: ANN001
         chmod: str) -> list[CP.Item]:
    from teu.build.context import Source

    url, _, frag = src.partition("#")
    ref, _, subdir = frag.partition(":")
    tmp = tempfile.mkdtemp(prefix="teu-git-")
    build_dir = os.path.join(tmp, "repo")
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        _git_run(["git", "clone", "--quiet", "--no-checkout", url, build_dir], env, src)
        _git_run(["git", "-C", build_dir, "checkout", "--quiet", ref or "HEAD"], env, src)
        if ins.checksum:
            head = subprocess.run(["git", "-C", build_dir, "rev-parse", "HEAD"],
                                  capture_output=True, text=True).stdout.strip()
            if not head.startswith(ins.checksum):
                raise BuildError(f"ADD {src}: commit {head} does not match --checksum "
                                 f"{ins.checksum}")
        if not ins.keep_git_dir:
            import shutil

            shutil.rmtree(os.path.join(build_dir, ".git"), ignore_errors=True)
        source = Source(build_dir, f"git {url}")
        plan = CP.plan(source, [subdir or "/"], target + "/", "/", f"ADD {src}",
                       chown=chown, chmod=chmod)
        # The files go away with the clone: hold their bytes.
        for it in plan.items:
            if it.kind == "file":
                with open(it.src, "rb") as f:
                    it.data = f.read()
                it.kind = "data"
        return plan.items
    finally:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


def _git_run(argv: list[str], env: dict, src: str) -> None:
    p = subprocess.run(argv, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        msg = (p.stderr.strip().splitlines() or [f"exit status {p.returncode}"])[-1]
        raise BuildError(f"ADD {src}: git: {msg}")
