"""Field readers shared by the image types: each error names the JSON path that was wrong."""

from __future__ import annotations

from teu.oci.errors import ImageSpecError

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs ~3 ms

if TYPE_CHECKING:
    from typing import Any


def load_object(data: bytes | str, what: str) -> dict[str, Any]:
    """Parse JSON text that must be an object."""
    import json  # here: readers of fields already parsed need no JSON parser

    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise ImageSpecError(f"{what}: invalid JSON: {e}") from None
    if not isinstance(value, dict):
        raise ImageSpecError(f"{what}: must be a JSON object")
    return value


def obj(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ImageSpecError(f"{path}: must be an object")
    return value


def opt_str(d: dict[str, Any], key: str, path: str) -> str | None:
    value = d.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ImageSpecError(f"{path}.{key}: must be a string")
    return value


def req_str(d: dict[str, Any], key: str, path: str) -> str:
    value = opt_str(d, key, path)
    if value is None:
        raise ImageSpecError(f"{path}.{key}: required")
    return value


def opt_int(d: dict[str, Any], key: str, path: str) -> int | None:
    value = d.get(key)
    if value is None:
        return None
    # bool is an int in Python, but not in JSON's eyes.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ImageSpecError(f"{path}.{key}: must be an integer")
    return value


def str_map(d: dict[str, Any], key: str, path: str) -> dict[str, str] | None:
    value = d.get(key)
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ImageSpecError(f"{path}.{key}: must be an object of strings")
    return value


def str_list(d: dict[str, Any], key: str, path: str) -> list[str] | None:
    value = d.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ImageSpecError(f"{path}.{key}: must be an array of strings")
    return value


def obj_list(d: dict[str, Any], key: str, path: str) -> list[Any] | None:
    value = d.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise ImageSpecError(f"{path}.{key}: must be an array")
    return value


def dumps(value: Any) -> bytes:
    """Compact JSON, key order kept: what teu writes when it makes a document."""
    import json

    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
