"""`teu tag SOURCE_IMAGE TARGET_IMAGE`."""

from __future__ import annotations

from teu.cli import _imageopts as O


def main(argv: list[str]) -> int:
    p = O.parser("teu tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE.")
    p.add_argument("source")
    p.add_argument("target")
    args = p.parse_args(argv)

    def go() -> int:
        with O.store(args.root) as st:
            st.tag(args.source, args.target)
        return 0

    return O.run(args.source, go)
