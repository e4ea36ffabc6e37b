"""Volumes as docker-py models them: `client.volumes.create/get/list/prune`."""

from __future__ import annotations

from typing import Any

from teu.api.models.resource import Collection, Model
from teu.errors import InvalidArgument


class Volume(Model):
    """A named volume; `attrs` is `docker volume inspect`'s object."""

    id_attribute = "Name"

    @property
    def name(self) -> str:
        return self.attrs["Name"]

    @property
    def short_id(self) -> str:
        return self.name

    def reload(self) -> None:
        self.attrs = self.client.volumes.get(self.name).attrs

    def remove(self, force: bool = False) -> None:
        from teu.engine.storage import volumes

        self.client._call(lambda e: volumes.remove(e.paths, e.db, self.name, force))


class VolumeCollection(Collection):
    model = Volume

    def create(self, name: str | None = None, driver: str | None = None,
               driver_opts: dict | None = None, labels: dict | None = None) -> Volume:
        """docker volume create (the local driver only); an existing name is returned."""
        from teu.engine.storage import volumes

        if driver not in (None, "local"):
            raise InvalidArgument(f"volume driver {driver!r}: teu has only 'local'")
        if driver_opts:
            raise InvalidArgument("driver_opts: not supported by teu's local driver yet")
        made = self.client._call(lambda e: volumes.create(e.paths, e.db, name, labels,
                                                          exist_ok=True))
        return self.get(made)

    def get(self, volume_id: str) -> Volume:
        from teu.engine.storage import volumes

        return Volume(self.client,
                      self.client._call(lambda e: volumes.inspect(e.paths, e.db, volume_id)))

    def list(self, filters: dict | None = None) -> list[Volume]:
        from teu.engine.storage import volumes

        if filters:
            raise InvalidArgument("volume list filters are not supported by teu's API yet")
        return [Volume(self.client, attrs) for attrs in self.client._call(
            lambda e: [volumes.inspect(e.paths, e.db, v["name"]) for v in e.db.volumes()])]

    def prune(self, filters: dict | None = None) -> dict[str, Any]:
        """Unused anonymous volumes (docker 23+'s rule; all=true in filters for all)."""
        from teu.engine.storage import volumes

        every = str((filters or {}).get("all", "")).lower() in ("1", "true")
        deleted, freed = self.client._call(lambda e: volumes.prune(e.paths, e.db, every))
        return {"VolumesDeleted": deleted or None, "SpaceReclaimed": freed}
