"""The local image store, and the places an image can live.

One package per place (go-containerregistry's spirit), one job per module:

    types.py       the small interfaces: Image, Layer, ImageIndex (what every place offers)
    reference.py   image references, parsed exactly as docker parses them
    store.py       the store: the facade pull, push, save, load and the CLI use
      blobs.py     content-addressed blobs, verified on write and read; resumable ingests
      db.py        SQLite index of images, tags, digests and layers (WAL)
      layers.py    unpacked layers keyed by chain ID, shared by every image
      gc.py        removal of what no image references
    compression.py gzip / zstd / plain streams, by magic bytes
    apply.py       layer tar -> directory (whiteouts, links, devices, xattrs, confinement)
    diff.py        directory (against its parent) -> layer tar with OCI whiteouts
    rootfs.py      reading files through a stack of layer directories
    spec.py        image config -> runtime spec process (user, env, cwd, args)
    layout.py      OCI image layouts (directories)
    tarball.py     docker-archive / oci-archive tar files (save, load)
    importer.py    a root filesystem tarball -> one-layer image
    inspect.py     docker-shaped `image inspect` and `history`
    timefmt.py     docker's human durations ("2 minutes ago"), shared with the engine
    parallel.py    one job per layer on a few threads, first failure stops the rest

The store's layout on disk (root: --root, TEU_ROOT, default /var/lib/teu):

    <root>/teu.db                    SQLite (WAL): images, tags, repo digests, manifests,
                                     image layers, layers, blob sources (see db.py)
    <root>/blobs/sha256/<hex>        manifests, indexes, configs, compressed layers;
                                     a file is only ever renamed here after its content
                                     hashed to <hex> and was fsynced
    <root>/ingest/<hex>.partial      a download in progress, kept across kill -9 so the
                                     next pull resumes it with an HTTP range request
    <root>/layers/<chain-id-hex>/    one unpacked layer (that layer's changes only, with
                                     overlayfs whiteouts: 0/0 char devices and the
                                     trusted.overlay.opaque xattr), shared by all images
    <root>/layers/.tmp-*             a layer being unpacked; renamed into place when whole
    <root>/store.lock                flock: pulls/loads hold it shared, GC exclusive

Importing this package costs nothing: every module imports its heavy
dependencies (sqlite3, tarfile, zstandard, http.client) inside the functions
that use them, because `teu run` reads the store on its hot path.
"""
