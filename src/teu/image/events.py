"""Image events into the store's journal (teu.journal), as dockerd names them: pull and
push carry the reference (Actor.ID `name:tag`, attribute name the repository); tag
the image ID and the new name; untag, delete, load, save and import the image ID as
both. Image labels are dockerd's too, for events whose actor is an image ID."""

from __future__ import annotations

from typing import Any

from teu import journal


def by_reference(store: Any, action: str, ref: Any) -> None:
    journal.append(store.root, "image", action, ref.familiar(),
                   {"name": ref.familiar_name})


def by_id(store: Any, action: str, image_id: str, name: str | None = None) -> None:
    attributes = _labels(store, image_id) if action != "delete" else {}
    attributes["name"] = name or image_id
    journal.append(store.root, "image", action, image_id, attributes)


def _labels(store: Any, image_id: str) -> dict:
    from teu import fastjson

    try:  # the image ID is its config's digest
        labels = (fastjson.loads(store.blobs.read(image_id).decode()).get("config") or {}).get("Labels")
    except Exception:  # noqa: BLE001 - labels are extra: an unreadable config has none
        return {}
    return {str(k): str(v) for k, v in (labels or {}).items()}
