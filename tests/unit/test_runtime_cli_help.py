"""teu-runtime's help and version in runc's (urfave/cli's) layout, with teu's name."""

from __future__ import annotations

import re

import pytest

from teu.runtime.cli import main as cli


def _out(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_top_help_has_runcs_sections(capsys: pytest.CaptureFixture[str]) -> None:
    for flag in ("-h", "--help"):
        code, lines, _ = _out(capsys, flag)
        assert code == 0 and lines[0] == "NAME:"
        assert lines[1] == "   teu-runtime - Open Container Initiative runtime"
        assert "COMMANDS:" in lines and "GLOBAL OPTIONS:" in lines


@pytest.mark.parametrize("verb", sorted(cli.SUMMARIES))
def test_each_verb_help_names_the_verb(capsys: pytest.CaptureFixture[str], verb: str) -> None:
    code, lines, _ = _out(capsys, verb, "-h")
    assert code == 0 and lines[0] == "NAME:"
    assert lines[1].startswith(f"   teu-runtime {verb} - ")
    assert lines[3] == "USAGE:" and lines[4].startswith(f"   teu-runtime {verb}")


def test_unknown_help_topic(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _out(capsys, "foo", "-h")
    assert code != 0 and "No help topic for 'foo'" in err


def test_version_layout(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = _out(capsys, "-v")
    assert code == 0
    assert re.fullmatch(r"teu-runtime version \d+\.\d+\.\d+.*", lines[0])
    assert lines[1].startswith("commit: ") and re.fullmatch(r"spec: \d+\.\d+\.\d+", lines[2])
    assert any(line.startswith("libseccomp: ") for line in lines)
