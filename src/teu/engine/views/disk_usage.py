"""`system df -v`: space used per image, container and volume (docker's verbose df)."""

from __future__ import annotations

import time

from teu.engine import state as S
from teu.engine.context import Engine


def df_verbose(engine: Engine) -> dict[str, list[dict]]:
    """Rows of docker's three verbose tables (and an empty build cache: teu build keeps
    its cache elsewhere), all values as docker prints them."""
    from teu.engine.config.units import size_text
    from teu.engine.storage.volumes import du, volume_names
    from teu.engine.timefmt import human_duration
    from teu.engine.views.listing import item
    from teu.image import reference as R
    from teu.image.inspect import since
    from teu.image.store import Store

    rows = S.refresh_all(engine)
    now = time.time()
    per_image: dict[str, int] = {}
    for r in rows:
        per_image[r["image_id"]] = per_image.get(r["image_id"], 0) + 1
    images = []
    with Store(engine.paths.root) as st:
        for img in st.images():
            names = [(ref.familiar_name, ref.tag or "<none>")
                     for ref in (R.parse(t, default_tag=False) for t in img.tags)]
            for repo, tag in names or [("<none>", "<none>")]:
                images.append({"Repository": repo, "Tag": tag, "ID": img.id[7:19],
                               "CreatedSince": since(img.created),
                               "Size": size_text(img.size), "SharedSize": size_text(0),
                               "UniqueSize": size_text(img.size),
                               "Containers": str(per_image.get(img.id, 0))})
    containers = []
    for r in rows:
        row = item(r, now)
        containers.append({"ID": row["ID"], "Image": row["Image"], "Command": row["Command"],
                           "LocalVolumes": row["LocalVolumes"],
                           "Size": size_text(du(engine.paths.container(r["id"], "upper"))),
                           "RunningFor": human_duration(now - r["created"]) + " ago",
                           "Status": row["Status"], "Names": row["Names"]})
    links: dict[str, int] = {}
    for r in rows:
        for name in volume_names(r.settings):
            links[name] = links.get(name, 0) + 1
    volumes = [{"Name": v["name"], "Links": str(links.get(v["name"], 0)),
                "Size": size_text(du(engine.paths.volume(v["name"])))}
               for v in engine.db.volumes()]
    return {"Images": images, "Containers": containers, "Volumes": volumes,
            "BuildCache": []}
