"""--output and --cache-to/--cache-from of type=local.

Outputs (`type=...,dest=...`):
    image             the store (the default; name= adds tags)
    docker, oci       a tar (teu save's archive: an OCI layout with docker's manifest.json)
    tar               the final root filesystem as one tar (dest=- : stdout)
    local             the final root filesystem copied into the directory dest

A local cache directory is an OCI image layout: blobs/sha256/ holds the layers of the
build's steps, index.json lists the steps' cache keys (annotations), and mounts/
holds the RUN --mount=type=cache directories as tars, so CI runs that keep the
directory keep their cache mounts too.
"""

from __future__ import annotations

import os

from teu.build.errors import BuildError
from teu.build.layers import LayerRef, Overlay, Workdir

CACHE_KEY = "dev.teu.build.cache.key"
CACHE_CREATED = "dev.teu.build.cache.created"
CACHE_CHAIN = "dev.teu.build.cache.chain"


def parse_spec(spec: str, what: str) -> dict[str, str]:
    """`type=local,dest=DIR` (or a bare path for --output) -> fields."""
    if "=" not in spec.split(",")[0]:
        return {"type": "local", "dest": spec}
    out = {}
    for part in spec.split(","):
        k, eq, v = part.partition("=")
        if not eq:
            raise BuildError(f"{what} {spec!r}: {part!r} is not key=value")
        out[k.strip()] = v
    if "type" not in out:
        raise BuildError(f"{what} {spec!r}: type= is required")
    return out


def export(builder, result, spec: dict[str, str]) -> None:  # noqa: ANN001
    kind = spec["type"]
    store = builder.store
    if kind == "image":
        return
    dest = spec.get("dest")
    if not dest:
        raise BuildError(f"--output type={kind}: dest= is required")
    if kind in ("docker", "oci"):
        from teu.image.tarball import save

        if dest == "-":
            import sys

            save(store, [result.image_id], sys.stdout.buffer)
        else:
            with open(dest, "wb") as f:
                save(store, [result.image_id], f)
        return
    if kind not in ("local", "tar"):
        raise BuildError(f"--output type={kind}: not supported (image, docker, oci, tar, "
                         "local)")
    layers = [store.layers.path(r.chain_id) for r in result.layers]
    work = Workdir(store, "output")
    try:
        ov = Overlay(work, layers)
        try:
            if kind == "local":
                import subprocess

                os.makedirs(dest, exist_ok=True)
                p = subprocess.run(["cp", "-a", "--", ov.rootfs + "/.", dest],
                                   capture_output=True, text=True)
                if p.returncode != 0:
                    raise BuildError(f"--output type=local,dest={dest}: {p.stderr.strip()}")
            else:
                _tar_tree(ov.rootfs, dest)
        finally:
            ov.unmount()
    finally:
        work.remove()


def _tar_tree(root: str, dest: str) -> None:
    import sys
    import tarfile

    out = sys.stdout.buffer if dest == "-" else open(dest, "wb")
    try:
        with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as t:
            for name in sorted(os.listdir(root)):
                t.add(os.path.join(root, name), arcname=name)
    finally:
        if dest != "-":
            out.close()


# -- the cache as a directory ------------------------------------------------------------


def cache_to(builder, spec: dict[str, str]) -> int:  # noqa: ANN001
    """Write this build's cache entries (and the cache mounts) to dest; how many."""
    import json

    if spec.get("type") == "registry":
        return cache_to_registry(builder, spec)
    if spec.get("type") != "local":
        raise BuildError(f"--cache-to type={spec.get('type')}: type=local,dest=DIR or "
                         "type=registry,ref=REF")
    dest = spec.get("dest")
    if not dest:
        raise BuildError("--cache-to type=local: dest= is required")
    blobs = os.path.join(dest, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)
    with open(os.path.join(dest, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    manifests = []
    store = builder.store
    for key, layer, created in builder.cache.entries():
        if key not in builder.used_keys:
            continue
        entry = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "size": 0,
                 "digest": "sha256:" + "0" * 64,
                 "annotations": {CACHE_KEY: key, CACHE_CREATED: created}}
        if layer is not None:
            target = os.path.join(blobs, layer.blob.partition(":")[2])
            if not os.path.exists(target):
                import shutil

                src = store.blobs.path(layer.blob)
                shutil.copyfile(src, target + ".tmp")
                os.rename(target + ".tmp", target)
            entry.update({"mediaType": layer.media_type, "size": layer.blob_size,
                          "digest": layer.blob})
            entry["annotations"][CACHE_CHAIN] = json.dumps(layer.to_json())
        manifests.append(entry)
    with open(os.path.join(dest, "index.json.tmp"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": manifests}, f)
    os.rename(os.path.join(dest, "index.json.tmp"), os.path.join(dest, "index.json"))
    mounts = os.path.join(builder.paths.root, "build-cache", "mounts")
    if os.path.isdir(mounts):
        import tarfile

        out = os.path.join(dest, "mounts")
        os.makedirs(out, exist_ok=True)
        for name in os.listdir(mounts):
            d = os.path.join(mounts, name)
            if os.path.isdir(d):
                with tarfile.open(os.path.join(out, name + ".tar.tmp"), "w") as t:
                    t.add(d, arcname=".")
                os.rename(os.path.join(out, name + ".tar.tmp"), os.path.join(out, name + ".tar"))
    return len(manifests)


def cache_from(builder, spec: dict[str, str]) -> int:  # noqa: ANN001
    """Load cache entries (their layer blobs into the store) from src; how many."""
    import json

    if spec.get("type") == "registry":
        return cache_from_registry(builder, spec)
    if spec.get("type") != "local":
        raise BuildError(f"--cache-from type={spec.get('type')}: type=local,src=DIR or "
                         "type=registry,ref=REF")
    src = spec.get("src")
    if not src:
        raise BuildError("--cache-from type=local: src= is required")
    try:
        with open(os.path.join(src, "index.json")) as f:
            index = json.load(f)
    except FileNotFoundError:
        return 0  # a first CI run: nothing cached yet
    except (OSError, ValueError) as e:
        raise BuildError(f"--cache-from {src}: index.json: {e}") from None
    store = builder.store
    n = 0
    for m in index.get("manifests", []):
        ann = m.get("annotations") or {}
        key = ann.get(CACHE_KEY)
        if not key:
            continue
        layer = None
        if CACHE_CHAIN in ann:
            layer = LayerRef.from_json(json.loads(ann[CACHE_CHAIN]))
            if not store.blobs.exists(layer.blob):
                path = os.path.join(src, "blobs", "sha256", layer.blob.partition(":")[2])
                try:
                    with open(path, "rb") as f:
                        store.blobs.put_stream(f, expected=layer.blob)
                except OSError:
                    continue
        builder.cache.put(key, layer, ann.get(CACHE_CREATED, ""))
        n += 1
    mounts = os.path.join(src, "mounts")
    if os.path.isdir(mounts):
        target = os.path.join(builder.paths.root, "build-cache", "mounts")
        os.makedirs(target, exist_ok=True)
        for name in os.listdir(mounts):
            if not name.endswith(".tar"):
                continue
            d = os.path.join(target, name[:-4])
            if os.path.isdir(d):
                continue
            from teu.build.steps.copy import extract_archive

            os.makedirs(d)
            extract_archive(os.path.join(mounts, name), d)
    return n


# -- the cache in a registry ----------------------------------------------------------

CACHE_ARTIFACT = "application/vnd.teu.build.cache.v1+json"
EMPTY = "application/vnd.oci.empty.v1+json"


def _repository(ref_text: str, what: str):  # noqa: ANN202
    from teu.image import reference as R
    from teu.registry.client import credentials
    from teu.registry.client.remote import Registry

    try:
        ref = R.parse(ref_text)
    except R.ReferenceError as e:
        raise BuildError(f"{what} ref={ref_text}: {e}") from None
    registry = Registry(ref.registry, None, credentials.lookup(ref.domain, None))
    return registry.repository(ref.path), ref


def cache_to_registry(builder, spec: dict[str, str]) -> int:  # noqa: ANN001
    """The cache as an OCI artifact (a manifest whose layers are the steps' layers, each
    annotated with its cache key) under ref=; how many entries."""
    import hashlib
    import json

    ref_text = spec.get("ref")
    if not ref_text:
        raise BuildError("--cache-to type=registry: ref= is required")
    repo, ref = _repository(ref_text, "--cache-to")
    store = builder.store
    layers = []
    for key, layer, created in builder.cache.entries():
        if key not in builder.used_keys or layer is None:
            continue
        if not repo.blob_exists(layer.blob):
            with open(store.blobs.path(layer.blob), "rb") as f:
                repo.upload_monolithic(repo.start_upload(), layer.blob, layer.blob_size, f)
        layers.append({"mediaType": layer.media_type, "digest": layer.blob,
                       "size": layer.blob_size,
                       "annotations": {CACHE_KEY: key, CACHE_CREATED: created,
                                       CACHE_CHAIN: json.dumps(layer.to_json())}})
    empty = b"{}"
    empty_digest = "sha256:" + hashlib.sha256(empty).hexdigest()
    if not repo.blob_exists(empty_digest):
        repo.upload_monolithic(repo.start_upload(), empty_digest, len(empty), empty)
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "artifactType": CACHE_ARTIFACT,
                "config": {"mediaType": EMPTY, "digest": empty_digest, "size": len(empty)},
                "layers": layers}
    repo.put_manifest(ref.tag or "latest", json.dumps(manifest).encode(),
                      "application/vnd.oci.image.manifest.v1+json")
    return len(layers)


def cache_from_registry(builder, spec: dict[str, str]) -> int:  # noqa: ANN001
    """Load the cache artifact at ref= (its layer blobs into the store); how many."""
    import json

    ref_text = spec.get("ref")
    if not ref_text:
        raise BuildError("--cache-from type=registry: ref= is required")
    repo, ref = _repository(ref_text, "--cache-from")
    from teu.errors import TeuError

    try:
        raw, _, _ = repo.get_manifest(ref.tag or "latest")
    except TeuError:
        return 0  # nothing exported yet: a first run
    manifest = json.loads(raw)
    if manifest.get("artifactType") != CACHE_ARTIFACT:
        raise BuildError(f"--cache-from {ref_text}: not a teu build cache")
    store = builder.store
    n = 0
    for d in manifest.get("layers", []):
        ann = d.get("annotations") or {}
        if CACHE_KEY not in ann or CACHE_CHAIN not in ann:
            continue
        layer = LayerRef.from_json(json.loads(ann[CACHE_CHAIN]))
        if not store.blobs.exists(layer.blob):
            resp, _ = repo.open_blob(layer.blob)
            with resp:
                store.blobs.put_stream(resp, expected=layer.blob)
        builder.cache.put(ann[CACHE_KEY], layer, ann.get(CACHE_CREATED, ""))
        n += 1
    return n
