"""An image's software inventory, read from its layers without running it.

    model.py       Package, OSInfo, Inventory (the shapes every other part reads)
    layerscan.py   one layer directory -> LayerFacts (package databases parsed, whiteouts,
                   opaque directories, secret-looking files), cached per layer diff ID
    merge.py       LayerFacts bottom first -> Inventory, as overlayfs would merge them
    dpkg.py apk.py rpm.py python.py npm.py gobin.py osrelease.py   one parser each
    image.py       the entry point: a store image -> Inventory
"""
