"""JSON through the C accelerator alone, for the container start path.

`import json` pulls in `re`, and `re` pulls in `enum`, `functools` and
friends: about 7 ms, a quarter of a whole `teu-runtime run`. The `_json` C
module parses and encodes without any of that. Output and errors match
json.loads/json.dumps (compact separators); anything unusual falls back to json.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs ~3 ms

if TYPE_CHECKING:
    from typing import Any

try:
    import _json
except ImportError:  # another Python without the accelerator: plain json
    _json = None  # type: ignore[assignment]

_WS = " \t\n\r"


class _Context:
    """The attributes _json.make_scanner reads from a JSONDecoder."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    memo: dict = {}

    @staticmethod
    def parse_constant(name: str) -> float:
        return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}[name]


_scan = _json.make_scanner(_Context()) if _json else None
_encode = (_json.make_encoder(None, None, _json.encode_basestring_ascii, None, ":", ",",
                              False, False, True) if _json else None)


def loads(data: str | bytes) -> Any:
    """json.loads; raises ValueError (json.JSONDecodeError) on bad input."""
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    text = data.strip(_WS)
    if _scan is None or not text:
        import json

        return json.loads(data)
    try:
        value, end = _scan(text, 0)
    except (StopIteration, ValueError, SystemError):
        # On bad input the C scanner wants json.decoder's error type; let json itself
        # parse again and raise the precise JSONDecodeError.
        end = -1
    if end != len(text):
        import json

        return json.loads(data)  # raises the precise JSONDecodeError
    return value


def dumps(value: Any) -> str:
    """json.dumps(value, separators=(",", ":")) for plain JSON data."""
    if _encode is None:
        import json

        return json.dumps(value, separators=(",", ":"))
    try:
        return "".join(_encode(value, 0))
    except (TypeError, ValueError):
        import json

        return json.dumps(value, separators=(",", ":"))
