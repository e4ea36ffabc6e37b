"""Images from Python: the same operations as `teu pull/push/images/...`.

    from teu.api import images
    images.pull("busybox", root="/tmp/store")

Every function takes `root` (default $TEU_ROOT or /var/lib/teu) and raises
teu.errors.TeuError subclasses with the same one-line messages the CLI shows.
Nothing prints unless a `progress` (teu.image.progress) is passed.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import IO, Any

from teu.image.progress import Progress


@contextmanager
def _store(root: str | None):
    from teu.image.store import Store

    st = Store(root)
    try:
        yield st
    finally:
        st.close()


def pull(name: str, *, root: str | None = None, platform: str | None = None,
         tls_verify: bool | None = None, authfile: str | None = None,
         credentials: tuple[str, str] | None = None, progress: Progress | None = None,
         jobs: int = 3) -> dict[str, Any]:
    """Pull `name`; returns {"Id", "Reference", "Digest", "New"}."""
    from teu.registry.client.pull import pull as _pull

    with _store(root) as st:
        r = _pull(st, name, platform=platform, tls_verify=tls_verify, authfile=authfile,
                  credentials_=credentials, progress=progress, jobs=jobs)
    return {"Id": r.image_id, "Reference": str(r.reference), "Digest": r.digest, "New": r.new}


def push(image: str, destination: str | None = None, *, root: str | None = None,
         tls_verify: bool | None = None, authfile: str | None = None,
         credentials: tuple[str, str] | None = None, chunk_size: int | None = None,
         progress: Progress | None = None) -> dict[str, Any]:
    """Push `image` (to `destination`); returns {"Reference", "Digest", "Size", ...}."""
    from teu.registry.client.push import push as _push

    with _store(root) as st:
        r = _push(st, image, destination, tls_verify=tls_verify, authfile=authfile,
                  credentials_=credentials, chunk_size=chunk_size, progress=progress)
    return {"Reference": str(r.reference), "Digest": r.digest, "Size": r.size,
            "Uploaded": r.uploaded, "Mounted": r.mounted, "Skipped": r.skipped}


def list_images(*, root: str | None = None) -> list[dict[str, Any]]:
    """Every image: {"Id", "RepoTags", "RepoDigests", "Created", "Size"} (full names)."""
    with _store(root) as st:
        return [{"Id": r.id, "RepoTags": r.tags, "RepoDigests": r.digests,
                 "Created": r.created, "Size": r.size} for r in st.images()]


def inspect(name: str, *, root: str | None = None) -> dict[str, Any]:
    """docker image inspect's JSON object for one image."""
    from teu.image.inspect import inspect as _inspect

    with _store(root) as st:
        return _inspect(st, st.lookup(name))


def history(name: str, *, root: str | None = None) -> list[dict[str, Any]]:
    from teu.image.inspect import history as _history

    with _store(root) as st:
        return _history(st, st.lookup(name))


def tag(source: str, target: str, *, root: str | None = None) -> str:
    """Name the image `source` also `target`; returns the image ID."""
    with _store(root) as st:
        return st.tag(source, target).id


def remove(name: str, *, force: bool = False, root: str | None = None) -> list[str]:
    """docker rmi; returns the "Untagged: ..."/"Deleted: ..." lines."""
    with _store(root) as st:
        return st.remove(name, force=force)


def prune(*, all: bool = False, root: str | None = None) -> dict[str, Any]:
    with _store(root) as st:
        events, freed = st.prune(all=all)
    return {"ImagesDeleted": events, "SpaceReclaimed": freed}


def save(names: list[str], output: str | IO[bytes], *, root: str | None = None) -> None:
    """Write the images to a tar file (path or binary file object)."""
    from teu.image.tarball import save as _save
    from teu.trust.transfer import save_attachments

    with _store(root) as st:
        if isinstance(output, str):
            with open(output, "wb") as f:
                _save(st, names, f, save_attachments(st))
        else:
            _save(st, names, output, save_attachments(st))


def load(source: str | IO[bytes], *, root: str | None = None,
         progress: Progress | None = None) -> list[dict[str, Any]]:
    """Load the images of an archive; returns [{"Id", "Names"}]."""
    from teu.image.tarball import load as _load
    from teu.image.tarball import load_stream
    from teu.trust.transfer import load_attachments

    with _store(root) as st:
        attach = load_attachments(st)  # signatures in the archive are kept with the images
        loaded = (_load(st, source, progress, attach=attach) if isinstance(source, str)
                  else load_stream(st, source, progress, attach=attach))
    return [{"Id": x.image_id, "Names": x.names} for x in loaded]


def import_image(source: str | IO[bytes], name: str | None = None, *,
                 changes: list[str] = (), message: str = "",  # type: ignore[assignment]
                 root: str | None = None) -> str:
    """A root filesystem tarball as a one-layer image; returns its ID."""
    from teu.image.importer import import_tarball

    with _store(root) as st:
        if isinstance(source, str):
            with open(source, "rb") as f:
                return import_tarball(st, f, name, changes=changes, message=message).row.id
        return import_tarball(st, source, name, changes=changes, message=message).row.id


def login(server: str, username: str, password: str, *, authfile: str | None = None,
          tls_verify: bool | None = None) -> str:
    """Check the credentials against the registry, then store them; returns the file."""
    from teu.image.reference import normalize_registry
    from teu.registry.client import credentials
    from teu.registry.client.remote import Registry

    server = normalize_registry(server)
    host = "registry-1.docker.io" if server == "docker.io" else server
    Registry(host, tls_verify, (username, password)).check_login()
    return credentials.store(server, username, password, authfile)


def logout(server: str, *, authfile: str | None = None) -> list[str]:
    from teu.image.reference import normalize_registry
    from teu.registry.client import credentials

    return credentials.remove(normalize_registry(server), authfile)
