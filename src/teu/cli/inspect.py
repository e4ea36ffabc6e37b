"""`teu inspect [-f FORMAT] [--type container|volume] NAME...` (images: `teu image inspect`)."""

from __future__ import annotations

from teu.cli._engine import engine, guarded, parse_or_help
from teu.cli._flags import BOOL, STR, Flag, UsageError

FLAGS = [Flag("format", "f", STR, "Format the output using the given Go template"),
         Flag("type", None, STR, "Return JSON for specified type (container, volume, image)"),
         Flag("size", "s", BOOL, "Display total file sizes")]


def main(argv: list[str], prog: str = "teu inspect", only: str | None = None) -> int:
    """`teu inspect`, or (only="container") `teu container inspect`, which finds
    containers only: an image's name there is `No such container`, as in docker."""
    if only:
        parsed = parse_or_help(argv, [f for f in FLAGS if f.name != "type"], prog,
                               "[OPTIONS] CONTAINER [CONTAINER...]",
                               "Display detailed information on one or more containers",
                               True, 1)
    else:
        parsed = parse_or_help(argv, FLAGS, prog, "[OPTIONS] NAME|ID [NAME|ID...]",
                               "Return low-level information on Docker objects", True, 1)
    if parsed is None:
        return 0
    opts, refs = parsed
    if only:
        opts["type"] = only

    def go() -> int:
        from teu.engine import state
        from teu.engine.errors import NotFound
        from teu.engine.storage import volumes as V
        from teu.engine.views import inspect as I

        e = engine()
        kind = opts.get("type")
        if kind not in (None, "container", "volume", "image"):
            raise UsageError(f'"{kind}" is not a valid value for --type')
        found: list = []
        failed: list[str] = []
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
                failed.append(f"Error: {msg}")
        from teu.cli._inspect_out import write_inspected

        return write_inspected(found, failed, opts.get("format"))

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
        raise NotFound(f"No such image: {ref}") from None
