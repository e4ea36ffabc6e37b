"""The image verbs' command line: docker's output shapes, flags, aliases and errors."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from image_helpers import teu
from registry_helpers import TEU, busybox_layer, tar_of_files


@pytest.fixture(scope="module")
def bb(tmp_path_factory) -> bytes:
    return busybox_layer(tmp_path_factory.mktemp("bb"))


@pytest.fixture
def store(tmp_path, bb):
    root = tmp_path / "root"
    (tmp_path / "a.tar").write_bytes(bb)
    (tmp_path / "b.tar").write_bytes(tar_of_files({"hello": b"world"}))
    a = teu(root, "import", str(tmp_path / "a.tar"), "alpha:1").stdout.strip()
    b = teu(root, "import", str(tmp_path / "b.tar"), "localhost:5000/team/beta").stdout.strip()
    return root, a, b


def test_images_table_quiet_and_format(store):
    root, a, b = store
    out = teu(root, "images").stdout.splitlines()
    assert out[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    rows = {line.split()[0]: line.split() for line in out[1:]}
    assert rows["alpha"][1:3] == ["1", a[7:19]]
    assert rows["localhost:5000/team/beta"][1:3] == ["latest", b[7:19]]
    # Columns line up: each header starts where its values start.
    alpha_line = next(line for line in out if line.startswith("alpha "))
    assert alpha_line.index(a[7:19]) == out[0].index("IMAGE ID")
    assert sorted(teu(root, "images", "-q").stdout.split()) == sorted([a[7:19], b[7:19]])
    assert a in teu(root, "images", "--no-trunc").stdout
    assert teu(root, "image", "ls", "--format", "{{.Repository}}:{{.Tag}}", "alpha").stdout \
        == "alpha:1\n"
    table = teu(root, "images", "--format", "table {{.Repository}}\t{{.Size}}").stdout
    assert table.splitlines()[0].split() == ["REPOSITORY", "SIZE"]
    j = [json.loads(line) for line in teu(root, "images", "--format", "json").stdout.splitlines()]
    assert {x["Repository"] for x in j} == {"alpha", "localhost:5000/team/beta"}
    assert teu(root, "images", "-f", "reference=localhost:5000/*/*", "-q").stdout.strip() \
        == b[7:19]
    assert "<none>" in teu(root, "images", "--digests").stdout  # no repo digests yet


def test_tag_rmi_and_dangling(store):
    root, a, b = store
    teu(root, "tag", "alpha:1", "alpha:2")
    teu(root, "tag", a[7:19], "gamma")
    p = teu(root, "tag", "alpha:1", "Bad:Name", check=False)
    assert p.returncode == 1 and "must be lowercase" in p.stderr
    p = teu(root, "tag", "nosuch", "x", check=False)
    assert p.returncode == 1 and "No such image: nosuch" in p.stderr
    assert teu(root, "rmi", "alpha:2", "gamma").stdout.split("\n")[:2] == \
        ["Untagged: alpha:2", "Untagged: gamma:latest"]
    # Importing again under the same name leaves the old image dangling.
    teu(root, "tag", "localhost:5000/team/beta", "alpha:1")
    dangling = teu(root, "images", "-f", "dangling=true", "--format", "{{.ID}} {{.Tag}}")
    assert dangling.stdout.strip() == f"{a[7:19]} <none>"
    p = teu(root, "image", "rm", a[7:19])
    assert p.stdout.strip() == f"Deleted: {a}"
    p = teu(root, "rmi", "alpha:1", "nosuch:1", check=False)
    assert p.returncode == 1 and "Untagged: alpha:1" in p.stdout
    assert "No such image: nosuch:1" in p.stderr


def test_history_and_inspect_formats(store):
    root, a, _ = store
    q = teu(root, "history", "-q", "alpha:1").stdout.split()
    assert q == [a[7:19]]
    full = teu(root, "history", "--no-trunc", "--format", "{{.ID}}|{{.CreatedBy}}", "alpha:1")
    assert full.stdout.strip() == f"{a}|teu import"
    fmt = teu(root, "image", "inspect", "-f", "{{.Id}} {{index .RepoTags 0}} {{.Os}}", "alpha:1")
    assert fmt.stdout.strip() == f"{a} alpha:1 linux"
    p = teu(root, "image", "inspect", "alpha:1", "nosuch", check=False)
    assert p.returncode == 1 and len(json.loads(p.stdout)) == 1 and "nosuch" in p.stderr


def test_usage_errors_and_root_from_env(store, tmp_path):
    root, a, _ = store
    # docker's answers: a bad flag or flag value is 125 (pflag's two lines); a wrong
    # number of arguments or an unknown subcommand is 1 (cobra's message).
    for args, code, first in (
            (["pull"], 1, '"teu pull" requires exactly 1 argument.'),
            (["images", "--bogus"], 125, "unknown flag: --bogus"),
            (["image", "nosuch"], 1, "teu image: unknown command 'nosuch'"),
            (["rmi"], 1, '"teu rmi" requires at least 1 argument.'),
            (["push", "--chunk-size", "x", "a"], 125,
             'invalid argument "x" for "--chunk-size" flag: strconv.ParseInt: parsing "x": '
             'invalid syntax')):
        p = teu(root, *args, check=False)
        assert p.returncode == code, args
        assert p.stderr.splitlines()[0] == first and "Traceback" not in p.stderr, args
    env = dict(os.environ, TEU_ROOT=str(root))
    p = subprocess.run([TEU, "images", "-q"], capture_output=True, text=True, env=env,
                       timeout=30)
    assert a[7:19] in p.stdout
    assert "pull" in subprocess.run([TEU, "--help"], capture_output=True, text=True).stdout
    assert "prune" in subprocess.run([TEU, "image", "--help"], capture_output=True,
                                     text=True).stdout


def test_prune_keeps_tagged_images(store):
    root, a, b = store
    # docker's prompt first (cli/command/image/prune.go); no answer keeps everything
    p = teu(root, "image", "prune", input="")
    assert p.stdout == ("WARNING! This will remove all dangling images.\n"
                        "Are you sure you want to continue? [y/N] "), p.stdout
    p = teu(root, "image", "prune", "-f")
    assert p.stdout.strip() == "Total reclaimed space: 0B"
    teu(root, "tag", "alpha:1", "alpha:keep")
    teu(root, "rmi", "alpha:1")
    assert a[7:19] in teu(root, "images", "-q").stdout
    p = teu(root, "image", "prune", "-a", "-f")
    assert p.stdout.count("deleted: sha256:") == 2
    assert teu(root, "images", "-q").stdout == ""
