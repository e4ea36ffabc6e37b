"""teu.compose.watch's pure parts: ignore patterns, snapshots and their differences."""

from __future__ import annotations

import os

import pytest

from teu.compose.errors import ComposeError
from teu.compose.watch import changes, ignored, rules, snapshot


def test_ignore_patterns():
    assert ignored("a.tmp", ["*.tmp"]) and ignored("sub/a.tmp", ["*.tmp"])
    assert ignored("node_modules/x/y.js", ["node_modules/"])
    assert not ignored("src/node_modules.txt", ["node_modules/"])
    assert not ignored("a.txt", ["*.tmp"])


def test_snapshot_and_changes(tmp_path):
    (tmp_path / "a.txt").write_text("1")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("2")
    (tmp_path / "c.tmp").write_text("3")
    first = snapshot(str(tmp_path), ["*.tmp"])
    assert sorted(first) == ["a.txt", "sub/b.txt"]
    (tmp_path / "a.txt").write_text("changed, longer")
    os.remove(tmp_path / "sub" / "b.txt")
    (tmp_path / "d.txt").write_text("new")
    assert changes(first, snapshot(str(tmp_path), ["*.tmp"])) == (["a.txt", "d.txt"],
                                                                  ["sub/b.txt"])
    assert list(snapshot(str(tmp_path / "d.txt"), [])) == [""]


def test_rules_need_a_develop_section_and_a_sync_target():
    model = {"services": {"a": {"image": "x"},
                          "b": {"develop": {"watch": [{"action": "sync", "path": "/p"}]}}}}
    with pytest.raises(ComposeError, match="none of the selected services"):
        rules(model, ["a"])
    with pytest.raises(ComposeError, match="sync needs a target"):
        rules(model, ["b"])
