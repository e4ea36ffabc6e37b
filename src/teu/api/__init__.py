"""teu's public Python API: thin fronts over the layers, one module per area.

    from teu.api import images
    images.pull("busybox", root="/tmp/store")

`teu.api.images` re-exports its functions here too (teu.api.pull, ...).
"""

from teu.api.images import (
    history,
    import_image,
    inspect,
    list_images,
    load,
    login,
    logout,
    prune,
    pull,
    push,
    remove,
    save,
    tag,
)

__all__ = ["history", "import_image", "inspect", "list_images", "load", "login", "logout",
           "prune", "pull", "push", "remove", "save", "tag"]
