"""Where a container's files live: its root filesystem, init layer and volumes.

    rootfs.py      overlayfs over the image's shared layers (or a copy), in a private
                   mount namespace so nothing is ever left mounted on the host
    initlayer.py   the <id>-init layer: stubs for the paths the runtime mounts over
    volumes.py     named and anonymous volumes under <root>/volumes
    fsutil.py      small file helpers without shutil
"""
