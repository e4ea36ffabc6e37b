"""`teu inspect [-f FORMAT] [--type container|volume] NAME...` (images: `teu image inspect`)."""

from __future__ import annotations

import json
import sys

from teu.cli._engine import engine, guarded, parse_or_help
from teu.cli._flags import BOOL, STR, Flag

FLAGS = [Flag("format", "f", STR, "Format the output using the given Go template"),
         Flag("type", None, STR, "Return JSON for specified type (container, volume, image)"),
         Flag("size", "s", BOOL, "Display total file sizes")]


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, FLAGS, "teu inspect", "[OPTIONS] NAME|ID [NAME|ID...]",
                           "Return low-level information on containers, volumes or images",
                           True, 1)
    if parsed is None:
        return 0
    opts, refs = parsed

    def go() -> int:
        from teu.engine import state
        from teu.engine.errors import NotFound
        from teu.engine.storage import volumes as V
        from teu.engine.views import inspect as I

        e = engine()
        kind = opts.get("type")
        found, failed = [], 0
        for ref in refs:
            try:
                if kind in (None, "container"):
                    try:
                        row = state.refresh(e, e.find(ref))
                        if row is None:
                            raise NotFound(f"No such container: {ref}")
                        found.append(I.container(e, row))
                        continue
                    except NotFound:
                        if kind == "container":
                            raise
                if kind in (None, "volume"):
                    try:
                        found.append(V.inspect(e.paths, e.db, ref))
                        continue
                    except NotFound:
                        if kind == "volume":
                            raise
                if kind in (None, "image"):
                    found.append(_image(ref))
                    continue
                raise NotFound(f"No such object: {ref}")
            except Exception as err:  # noqa: BLE001 - one line per name, go on
                from teu.errors import TeuError

                if not isinstance(err, TeuError):
                    raise
                msg = str(err) if kind else f"No such object: {ref}"
                print(f"Error: {msg}", file=sys.stderr)
                failed += 1
        fmt = opts.get("format")
        if fmt:
            from teu.cli._template import Template

            t = Template(fmt)
            for obj in found:
                print(t.render(obj))
        else:
            print(json.dumps(found, indent=4))
        return 125 if failed else 0

    return guarded(go)


def _image(ref: str) -> dict:
    from teu.engine.errors import NotFound
    from teu.errors import TeuError
    from teu.image.inspect import inspect
    from teu.image.store import Store

    try:
        with Store() as st:
            return inspect(st, st.lookup(ref))
    except TeuError:
        raise NotFound(f"No such object: {ref}") from None
