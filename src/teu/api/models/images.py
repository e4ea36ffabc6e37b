"""Images as docker-py models them: `client.images.get/list/pull/push/load/remove/prune`
and `Image` objects (tags, labels, history, save, tag)."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from typing import Any

from teu.api import images as calls
from teu.api.models.resource import Collection, Model
from teu.errors import InvalidArgument, TeuError


class Image(Model):
    """An image; `attrs` is `docker image inspect`'s object."""

    @property
    def short_id(self) -> str:
        return self.id[:19] if self.id.startswith("sha256:") else self.id[:12]

    @property
    def tags(self) -> list[str]:
        return [t for t in self.attrs.get("RepoTags") or [] if t != "<none>:<none>"]

    @property
    def labels(self) -> dict[str, str]:
        return (self.attrs.get("Config") or {}).get("Labels") or {}

    def reload(self) -> None:
        self.attrs = self.client.images.get(self.id).attrs

    def history(self) -> list[dict[str, Any]]:
        return calls.history(self.id, root=self.client.root)

    def tag(self, repository: str, tag: str | None = None, force: bool = False) -> bool:
        """Name the image repository[:tag]; True, as docker-py returns."""
        calls.tag(self.id, f"{repository}:{tag}" if tag else repository,
                  root=self.client.root)
        return True

    def save(self, chunk_size: int | None = 2 * 1024 * 1024,
             named: bool | str = False) -> Iterator[bytes]:
        """The image as a `docker save` tar, in chunks. named=True saves it under its
        first tag (a str: that name); otherwise under its ID, as docker-py does."""
        if named is True:
            if not self.tags:
                raise InvalidArgument(f"image {self.short_id} has no tag to save it by")
            name = self.tags[0]
        elif isinstance(named, str) and named:
            name = named
        else:
            name = self.id
        buf = io.BytesIO()
        calls.save([name], buf, root=self.client.root)
        data = buf.getvalue()
        size = chunk_size or len(data) or 1
        return iter([data[i:i + size] for i in range(0, len(data), size)])


class ImageCollection(Collection):
    model = Image

    def get(self, name: str) -> Image:
        """An Image by name, ID or digest; ImageNotFound if there is none."""
        return Image(self.client, calls.inspect(name, root=self.client.root))

    def list(self, name: str | None = None, all: bool = False,
             filters: dict | None = None) -> list[Image]:
        """Every image (with `name`, those of that repository or reference)."""
        from teu.image.reference import parse

        if filters:
            raise InvalidArgument("image list filters are not supported by teu's API yet")
        rows = calls.list_images(root=self.client.root)
        if name:
            want = str(parse(name)) if ":" in name.rpartition("/")[2] else None
            repo = str(parse(name)).rsplit(":", 1)[0] if want is None else None
            rows = [r for r in rows if any(
                t == want if want else t.rsplit(":", 1)[0] == repo for t in r["RepoTags"])]
        return [self.get(r["Id"]) for r in rows]

    def pull(self, repository: str, tag: str | None = None, all_tags: bool = False,
             platform: str | None = None, auth_config: dict | None = None,
             progress: Callable[[dict[str, Any]], None] | None = None,
             stream: bool = False, **kwargs: Any) -> Any:
        """docker pull; returns the Image. progress=callable gets docker's JSON
        progress events as they happen; stream=True returns an iterator of those
        events instead (docker-py has these on its low-level api.pull only)."""
        from teu.api.progress import EventProgress, streamed

        if all_tags:
            raise InvalidArgument("all_tags: teu pulls one reference at a time")
        unexpected = set(kwargs) - {"tls_verify", "authfile", "jobs"}
        if unexpected:
            raise TypeError(f"pull() got an unexpected keyword argument "
                            f"{sorted(unexpected)[0]!r}")
        name = repository
        if tag and "@" not in repository:
            name = f"{repository}@{tag}" if tag.startswith("sha256:") else f"{repository}:{tag}"
        creds = None
        if auth_config:
            creds = (auth_config.get("username", ""), auth_config.get("password", ""))

        def work(p: Any) -> dict:
            return calls.pull(name, root=self.client.root, platform=platform,
                              credentials=creds, progress=p, **kwargs)

        if stream:
            return streamed(work)
        result = work(EventProgress(progress) if progress else None)
        return self.get(result["Id"])

    def push(self, repository: str, tag: str | None = None, stream: bool = False,
             decode: bool = False, auth_config: dict | None = None,
             **kwargs: Any) -> Any:
        """docker push. docker-py returns the server's JSON lines as one string, or
        with stream=True an iterator (of dicts with decode=True): so does teu."""
        import json

        from teu.api.progress import streamed

        unexpected = set(kwargs) - {"tls_verify", "authfile", "chunk_size", "destination"}
        if unexpected:
            raise TypeError(f"push() got an unexpected keyword argument "
                            f"{sorted(unexpected)[0]!r}")
        name = f"{repository}:{tag}" if tag else repository
        creds = None
        if auth_config:
            creds = (auth_config.get("username", ""), auth_config.get("password", ""))
        destination = kwargs.pop("destination", None)

        def work(p: Any) -> None:
            r = calls.push(name, destination, root=self.client.root, credentials=creds,
                           progress=p, **kwargs)
            p.callback({"status": f"{tag or 'latest'}: digest: {r['Digest']} size: "
                                  f"{r['Size']}"})

        events = streamed(work)
        if stream:
            return events if decode else (json.dumps(e).encode() + b"\r\n" for e in events)
        return "".join(json.dumps(e) + "\r\n" for e in events)

    def build(self, path: str | None = None, fileobj: Any = None, tag: str | None = None,
              quiet: bool = False, nocache: bool = False, rm: bool = True,
              pull: bool = False, forcerm: bool = False, dockerfile: str | None = None,
              buildargs: dict | None = None, labels: dict | None = None,
              target: str | None = None, network_mode: str | None = None,
              platform: str | None = None, **kwargs: Any) -> tuple[Image, Iterator[dict]]:
        """docker build of a directory (or a Dockerfile as `fileobj`): (Image, the build
        log as docker-py's dicts {"stream": line}). A failure raises BuildError with the
        log. teu builds in-process with BuildKit's semantics (docker-py's classic builder
        keeps intermediate containers unless rm; teu never leaves any)."""
        import tempfile

        from teu.errors import BuildError

        unsupported = {"custom_context", "encoding", "container_limits", "shmsize",
                       "cache_from", "squash", "extra_hosts", "isolation", "timeout",
                       "use_config_proxy"}
        for key, value in kwargs.items():
            if key not in unsupported:
                raise TypeError(f"build() got an unexpected keyword argument {key!r}")
            if value not in (None, False, {}, []) and key != "use_config_proxy":
                raise InvalidArgument(f"{key}: not supported by teu's build")
        if path is None and fileobj is None:
            raise TypeError("either path or fileobj needs to be provided")
        from teu.api.build import build

        text = None
        if fileobj is not None:
            text = fileobj.read()
            text = text.encode() if isinstance(text, str) else text
        workdir = tempfile.mkdtemp(prefix="teu-api-build-") if path is None else None
        context = os.path.abspath(path or workdir or ".")
        options: dict[str, Any] = dict(
            tags=[tag] if tag else [], build_args=dict(buildargs or {}), target=target or "",
            no_cache=nocache, labels=dict(labels or {}),
            progress="quiet" if quiet else "plain", platform=platform or "",
            network=network_mode or "default", pull=pull, root=self.client.root,
            runroot=self.client.runroot)
        if text is not None:
            options["dockerfile_text"] = text
        elif dockerfile:
            options["dockerfile"] = dockerfile if os.path.isabs(dockerfile) else \
                os.path.join(context, dockerfile)
        try:
            try:
                result = build(context, **options)
            except TeuError as e:
                raise BuildError(str(e), [{"error": str(e)}]) from None
        finally:
            if workdir:
                import shutil

                shutil.rmtree(workdir, ignore_errors=True)
        image_id, output = result["image_id"], result["log"].encode()
        log = [{"stream": line} for line in output.decode(errors="replace")
               .splitlines(keepends=True)]
        return self.get(image_id), iter(log)

    def load(self, data: bytes | Any) -> list[Image]:
        """docker load of a tar (bytes or a binary file); the Images it held."""
        source = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
        return [self.get(x["Id"]) for x in calls.load(source, root=self.client.root)]

    def remove(self, image: str, force: bool = False, noprune: bool = False) -> list[dict]:
        """docker rmi: [{"Untagged": ...}, {"Deleted": ...}], as the Engine API answers."""
        if noprune:
            raise InvalidArgument("noprune: teu always removes unused parent layers")
        out = []
        for line in calls.remove(image, force=force, root=self.client.root):
            kind, _, value = line.partition(": ")
            out.append({kind: value})
        return out

    def prune(self, filters: dict | None = None) -> dict[str, Any]:
        """Dangling images (with filters={"dangling": False}, every unused one)."""
        every = str((filters or {}).get("dangling", "true")).lower() in ("0", "false")
        result = calls.prune(all=every, root=self.client.root)
        deleted = [{k.capitalize(): v} for line in result["ImagesDeleted"] or []
                   for k, _, v in [str(line).partition(": ")]]
        return {"ImagesDeleted": deleted or None, "SpaceReclaimed": result["SpaceReclaimed"]}
