"""The base of every model and collection (docker-py's Model and Collection)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from teu.api.client import Client


class Model:
    """An object of the engine's; `attrs` is what inspect says of it."""

    id_attribute: ClassVar[str] = "Id"

    def __init__(self, client: Client, attrs: dict[str, Any]) -> None:
        self.client = client
        self.attrs = attrs

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.short_id}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, type(self)) and other.id == self.id

    def __hash__(self) -> int:
        return hash(f"{type(self).__name__}:{self.id}")

    @property
    def id(self) -> str:
        return self.attrs.get(self.id_attribute) or ""

    @property
    def short_id(self) -> str:
        return self.id[:12]


class Collection:
    """Makes and finds models of one kind for a client."""

    model: ClassVar[type[Model]] = Model

    def __init__(self, client: Client) -> None:
        self.client = client
