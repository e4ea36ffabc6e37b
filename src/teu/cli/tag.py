"""`teu tag SOURCE_IMAGE TARGET_IMAGE`."""

from __future__ import annotations

from teu.cli import _imageopts as O


def main(argv: list[str]) -> int:
    parsed = O.parse(argv, [], "teu tag", "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
                     "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", 2, 2)
    if parsed is None:
        return 0
    opts, (source, target) = parsed

    def go() -> int:
        with O.store(opts.get("root")) as st:
            st.tag(source, target)
        return 0

    return O.run(source, go)
