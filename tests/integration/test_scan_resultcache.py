"""The whole-scan result cache (teu.scan.resultcache) through the real `teu scan`: a warm
scan answers from one entry without importing the store; a new DB import, a re-tagged
name, other options and another ignore file miss; a damaged entry is ignored and
rewritten; nothing outside <root>/scan-cache is written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.integration.scan_helpers import ALPINE, DEBIAN, make_env

from teu.testing import scanadvisories

NAME = "localhost/resultcache:probe"
PROBE = ("import sys\nfrom teu.cli.main import main\nrc = main(sys.argv[1:])\n"
         "sys.stdout.flush()\n"
         "print('store-imported' if 'teu.image.store' in sys.modules else 'answered-from-cache',"
         " file=sys.stderr)\nsys.exit(rc)\n")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    e = make_env(tmp_path_factory)
    e.adv = scanadvisories.write(str(e.top / "advisories"))
    e.teu.ok("scan", "db", "import", e.adv["osv"], e.adv["tracker"])
    e.teu.ok("tag", DEBIAN, NAME)
    return e


def scan(env, *args: str, cwd: Path | None = None) -> tuple[str, bool, int]:  # noqa: ANN001
    """(stdout, whether the cache answered, exit code) of `teu scan ARGS`."""
    p = subprocess.run([sys.executable, "-c", PROBE, "scan", "--root", str(env.teu.root),
                        *args], capture_output=True, text=True, timeout=300, cwd=cwd)
    assert p.returncode in (0, 3), p.stderr
    assert "Traceback" not in p.stderr
    last = p.stderr.strip().splitlines()[-1]
    return p.stdout, last == "answered-from-cache", p.returncode


def entries(env) -> dict[str, bytes]:  # noqa: ANN001
    d = env.cache_dir() / "results"
    return {p.name: p.read_bytes() for p in d.iterdir()} if d.is_dir() else {}


def ids(out: str) -> set[str]:
    return {f["id"] for f in json.loads(out)["findings"]}


def outside_cache(root: Path) -> dict[str, tuple]:
    """Every file of the store but the scan cache (and SQLite's -shm index, which any
    reader may map), with its size and mtime."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        if Path(dirpath) == root and "scan-cache" in dirs:
            dirs.remove("scan-cache")
        for f in files:
            if not f.endswith("-shm"):
                st = os.lstat(os.path.join(dirpath, f))
                out[os.path.join(dirpath, f)] = (st.st_size, st.st_mtime_ns)
    return out


def test_warm_scan_is_answered_by_one_entry(env):
    cold, hit, _ = scan(env, "-f", "json", NAME)
    assert not hit and ids(cold)
    before = outside_cache(env.teu.root)
    stored = entries(env)
    warm, hit, _ = scan(env, "-f", "json", NAME)
    assert hit and warm == cold
    assert entries(env) == stored                   # a hit writes nothing
    assert outside_cache(env.teu.root) == before    # ... and nothing outside the cache
    # exit code and table format come from the entry too
    _, hit, rc = scan(env, "--exit-code", "3", NAME)
    assert not hit and rc == 3
    _, hit, rc = scan(env, "--exit-code", "3", NAME)
    assert hit and rc == 3


def test_other_options_miss(env, tmp_path):
    base, _, _ = scan(env, "-f", "json", NAME)
    high, hit, _ = scan(env, "-f", "json", "--severity", "HIGH", NAME)
    assert not hit and ids(high) < ids(base)
    unfixed, hit, _ = scan(env, "-f", "json", "--ignore-unfixed", NAME)
    assert not hit and ids(unfixed) < ids(base)
    victim = sorted(ids(base))[0]
    (tmp_path / ".teuignore").write_text(f"{victim}\n")
    ignored, hit, _ = scan(env, "-f", "json", NAME, cwd=tmp_path)   # the default ignorefile
    assert not hit and ids(ignored) == ids(base) - {victim}
    (tmp_path / ".teuignore").write_text("# nothing ignored now\n")
    again, hit, _ = scan(env, "-f", "json", NAME, cwd=tmp_path)
    assert hit and ids(again) == ids(base)          # same IDs as no file: the same key
    _, hit, _ = scan(env, "-f", "json", "--no-cache", NAME)
    assert not hit


def test_new_db_import_misses(env):
    scan(env, "-f", "json", NAME)
    _, hit, _ = scan(env, "-f", "json", NAME)
    assert hit
    env.teu.ok("scan", "db", "import", env.adv["osv"])
    _, hit, _ = scan(env, "-f", "json", NAME)
    assert not hit
    _, hit, _ = scan(env, "-f", "json", NAME)
    assert hit


def test_retagged_name_misses(env):
    deb, _, _ = scan(env, "-f", "json", NAME)
    alpine, _, _ = scan(env, "-f", "json", ALPINE)
    env.teu.ok("tag", ALPINE, NAME)
    try:
        now, hit, _ = scan(env, "-f", "json", NAME)
        assert not hit and ids(now) == ids(alpine) != ids(deb)
    finally:
        env.teu.ok("tag", DEBIAN, NAME)
    back, hit, _ = scan(env, "-f", "json", NAME)    # one entry per name: rewritten again
    assert not hit and back == deb


def test_image_id_prefix_is_checked_again(env):
    image_id = env.teu.ok("images", "-q", "--no-trunc", DEBIAN).split()[0]
    short = image_id.split(":", 1)[1][:12]
    first, _, _ = scan(env, "-f", "json", short)
    again, hit, _ = scan(env, "-f", "json", short)
    assert hit and again == first


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage", "empty"])
def test_damaged_entry_is_ignored_and_rewritten(env, damage):
    for p in (env.cache_dir() / "results").glob("*"):
        p.unlink()
    good, _, _ = scan(env, "-f", "json", NAME)
    _, hit, _ = scan(env, "-f", "json", NAME)
    assert hit
    [path] = (env.cache_dir() / "results").iterdir()
    data = path.read_bytes()
    if damage == "flip":        # a finding's ID changed: the digest no longer matches
        i = data.rindex(b"CVE-")
        data = data[:i] + b"XVE-" + data[i + 4:]
    elif damage == "truncate":
        data = data[:len(data) // 2]
    elif damage == "garbage":
        data = os.urandom(len(data))
    else:
        data = b""
    path.write_bytes(data)
    out, hit, _ = scan(env, "-f", "json", NAME)
    assert not hit and out == good
    assert path.read_bytes() != data                # rewritten
    out, hit, _ = scan(env, "-f", "json", NAME)
    assert hit and out == good
