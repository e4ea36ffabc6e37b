"""`teu info`: system-wide information (also `teu system info`)."""

from __future__ import annotations

from teu.cli.system import info


def main(argv: list[str]) -> int:
    return info(argv)
