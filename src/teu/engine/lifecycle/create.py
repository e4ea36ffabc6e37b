"""`create`: a container's record and files, nothing running yet.

The row goes in first, as `creating` with this teu as its owner, so a teu
killed halfway leaves a row that the next reader (teu.engine.state.recover)
recognises and removes together with the files; only when everything is made
does the row become `created` (or, for `run`, go straight on to the start).
"""

from __future__ import annotations

import os
import time

from teu import fastjson
from teu.engine import names
from teu.engine.config import images, options
from teu.engine.context import Engine
from teu.engine.db import Row
from teu.engine.errors import Conflict, InvalidArgument
from teu.engine.state import start_time


def create(engine: Engine, opts: dict, final_status: str = "created") -> Row:
    """Validate the options, resolve the image, make the container; returns its row.
    (`--pod new:NAME` is teu.engine.pods.new's: it makes the pod, then calls this.)"""
    pod = None
    if opts.get("pod") or opts.get("pod_infra"):  # run --pod: join the pod's namespaces
        from teu.engine.pods.join import member_options

        opts = dict(opts)
        pod = member_options(engine, opts)
    settings = options.parse(opts)
    if pod:
        settings["Teu"].update(pod)
    from teu.engine import network

    network.validate(engine, settings)  # unknown network, --ip outside its subnet: before a pull
    ref = opts.get("image")
    if not ref:
        raise InvalidArgument("an image is required")
    image = resolve_image(engine, ref, settings["Teu"]["Pull"])
    from teu.trust import pin
    from teu.trust.enforce import check_run

    if pin.wanted(opts):  # --pin: record (and judge) NAME@DIGEST, not a movable tag
        ref = pin.pin(engine.paths.root, ref, image.id)
        settings["Teu"]["ImageDigest"] = ref.rsplit("@", 1)[1]
    check_run(engine.paths.root, ref, image.id)  # the trust policy (teu.trust), before any file
    options.with_image(settings, image.config, ref)
    from teu.engine.storage.rootfs import storage_driver

    settings["Teu"]["Layers"] = image.layers
    settings["Teu"]["Storage"] = storage_driver()
    wanted = settings["Teu"].pop("Platform", None)
    if wanted:
        have = f"{image.config.get('os') or 'linux'}/{image.config.get('architecture') or '?'}"
        if have != wanted and image.config.get("architecture"):
            raise InvalidArgument(f"image with reference {ref} was found but does not match "
                                  f"the specified platform: wanted {wanted}, actual: {have}")
    settings["Teu"]["Platform"] = image.config.get("os") or "linux"
    settings["Mounts"] = []
    db = engine.db
    cid = names.new_id()
    if not settings["Config"]["Hostname"]:  # docker: the short ID, or the host's own name
        host_network = settings["HostConfig"].get("NetworkMode") == "host" \
            or settings["HostConfig"].get("UTSMode") == "host"
        settings["Config"]["Hostname"] = os.uname().nodename if host_network else cid[:12]
    name = opts.get("name") or names.random_name(db.names())
    name = options.check_name(name)
    me = os.getpid()
    row = {"id": cid, "name": name, "image_id": image.id, "image": ref,
           "created": time.time(), "settings": fastjson.dumps(settings),
           "status": "creating", "monitor_pid": me, "monitor_start": start_time(me)}
    import _sqlite3

    try:
        with db.tx():
            db.insert(row)
    except _sqlite3.IntegrityError:
        other = db.by_name(name)
        from teu.engine.state import refresh

        if other is not None and refresh(engine, other) is None:
            with db.tx():  # the name was held by a half-made container, now gone
                db.insert(row)
        else:
            raise Conflict(f'Conflict. The container name "/{name}" is already in use by '
                           f'container "{other["id"] if other else "?"}". You have to remove '
                           "(or rename) that container to be able to reuse that name.") from None
    try:
        _make_files(engine, cid, settings, image)
        if settings["HostConfig"].get("ContainerIDFile"):
            _write_cidfile(settings["HostConfig"]["ContainerIDFile"], cid)
        changed = {}
        if settings["Mounts"]:
            changed["settings"] = row["settings"] = fastjson.dumps(settings)
        if final_status != "creating":
            changed.update(status=final_status, monitor_pid=0, monitor_start=None)
        if changed:  # a plain `run` skips this transaction: nothing changed
            with db.tx():
                db.update(cid, **changed)
    except BaseException:
        from teu.engine.teardown import remove_files

        with db.tx():
            db.delete(cid)
        remove_files(engine, Row(row, settings=fastjson.dumps(settings)))
        raise
    from teu.engine.events import container as event

    if changed:
        made = db.get(cid)
    else:
        from teu.engine.db import COLUMNS

        full = dict.fromkeys(COLUMNS)
        full.update(pid=0, oom_killed=0, restart_count=0, stopped_by_user=0, **row)
        made = Row(full)
    event(engine, made, "create")  # type: ignore[arg-type]
    return made  # type: ignore[return-value]


def _write_cidfile(path: str, cid: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    except FileExistsError:
        raise InvalidArgument(f"Container ID file found, make sure the other container "
                              f"isn't running or delete {path}") from None
    except OSError as e:
        raise InvalidArgument(f"failed to create the container ID file: {e.strerror}") from None
    with os.fdopen(fd, "w") as f:
        f.write(cid)


def resolve_image(engine: Engine, ref: str, pull: str) -> images.Image:
    if pull == "always":
        pull_image(engine, ref)
    try:
        return images.resolve(engine.paths, ref, engine.db.conn)
    except images.ImageNotFound:
        if pull != "missing":
            raise
    import sys

    print(f"Unable to find image '{ref}' locally", file=sys.stderr)
    pull_image(engine, ref)
    return images.resolve(engine.paths, ref, engine.db.conn)


def pull_image(engine: Engine, ref: str) -> None:
    """Pull through the registry client into the store (progress on stderr, like docker run)."""
    import sys

    from teu.errors import TeuError
    from teu.image.progress import for_output
    from teu.image.store import Store
    from teu.registry.client.pull import pull
    from teu.trust.errors import PolicyError

    try:
        with Store(engine.paths.root) as st:
            pull(st, ref, progress=for_output(False, sys.stderr))
    except PolicyError:
        raise  # the trust policy's refusal says what it is: not "unable to find"
    except TeuError as e:
        raise images.ImageNotFound(f"Unable to find image '{ref}': {e}") from None


def _make_files(engine: Engine, cid: str, settings: dict, image: images.Image) -> None:
    from teu.engine.config.spec import etc_files

    bundle = engine.paths.container(cid)
    os.makedirs(os.path.dirname(bundle), mode=0o711, exist_ok=True)
    os.mkdir(bundle, 0o700)
    for d in ("upper", "work", "rootfs", "empty"):
        os.mkdir(os.path.join(bundle, d), 0o755)
    etc_files(bundle, cid, settings)
    settings["Mounts"] = resolve_mounts(engine, settings, image)
    from teu.engine.storage import initlayer

    initlayer.make(os.path.join(bundle, "init"), image.layers, initlayer.stub_paths(settings))
    if settings["Teu"]["Storage"] == "vfs":
        from teu.engine.storage.rootfs import copy_layers

        copy_layers(image.layers, os.path.join(bundle, "rootfs"))


def resolve_mounts(engine: Engine, settings: dict, image: images.Image) -> list[dict]:
    """-v specs and the image's VOLUMEs -> docker's Mounts (volumes made as needed)."""
    from teu.engine.storage import volumes

    out = []
    taken = set()
    for spec in settings["HostConfig"].get("Binds") or []:
        parts = spec.split(":")
        source = parts[0] if len(parts) > 1 else None
        dest = parts[1] if len(parts) > 1 else parts[0]
        opts = parts[2].split(",") if len(parts) > 2 else []
        rw = "ro" not in opts
        propagation = next((o for o in opts if o.endswith(("shared", "slave", "private"))), "")
        dest = os.path.normpath(dest)
        taken.add(dest)
        mode = ",".join(opts)  # docker shows the options as given
        if source is not None and (source.startswith("/") or source.startswith(".")):
            source = os.path.abspath(source)
            if not os.path.lexists(source):
                os.makedirs(source, 0o755, exist_ok=True)  # -v makes it, as docker does
            out.append({"Type": "bind", "Source": source, "Destination": dest,
                        "Mode": mode, "RW": rw, "Propagation": propagation or "rprivate"})
            continue
        name = volumes.create(engine.paths, engine.db, source)
        out.append({"Type": "volume", "Name": name, "Source": engine.paths.volume(name, "_data"),
                    "Destination": dest, "Driver": "local", "Mode": mode or "z", "RW": rw,
                    "Propagation": propagation, "CopyUp": "nocopy" not in opts})
    for m in settings["HostConfig"].get("Mounts") or []:  # --mount
        dest = m["Target"]
        taken.add(dest)
        rw = not m.get("ReadOnly")
        if m["Type"] == "bind":
            out.append({"Type": "bind", "Source": m["Source"], "Destination": dest, "Mode": "",
                        "RW": rw, "Propagation": m["BindOptions"]["Propagation"],
                        **({"NonRecursive": True} if m["BindOptions"].get("NonRecursive")
                           else {})})
        elif m["Type"] == "volume":
            name = volumes.create(engine.paths, engine.db, m.get("Source") or None)
            out.append({"Type": "volume", "Name": name,
                        "Source": engine.paths.volume(name, "_data"), "Destination": dest,
                        "Driver": "local", "Mode": "z", "RW": rw, "Propagation": "",
                        "CopyUp": not m["VolumeOptions"].get("NoCopy")})
        else:
            out.append({"Type": "tmpfs", "Source": "", "Destination": dest, "Mode": "",
                        "RW": rw, "Propagation": "",
                        "TmpfsOptions": dict(m.get("TmpfsOptions") or {})})
    for spec in settings["HostConfig"].get("VolumesFrom") or []:
        ref, _, mode = spec.partition(":")
        other = engine.find(ref)
        for m in other.settings.get("Mounts") or []:
            if m["Destination"] in taken or m["Type"] == "tmpfs":
                continue
            taken.add(m["Destination"])
            copied = {k: v for k, v in m.items() if k != "CopyUp"}
            if mode:
                copied["RW"] = mode == "rw"
            out.append(copied)
    for dest in (image.run_config.get("Volumes") or {}):
        dest = os.path.normpath(dest)
        if dest in taken:
            continue
        name = volumes.create(engine.paths, engine.db, None)
        out.append({"Type": "volume", "Name": name, "Source": engine.paths.volume(name, "_data"),
                    "Destination": dest, "Driver": "local", "Mode": "", "RW": True,
                    "Propagation": "", "CopyUp": True})
    return out
