"""`teu push [-q] [--tls-verify=false] [--chunk-size N] [--digestfile F] IMAGE [DESTINATION]`."""

from __future__ import annotations

from teu.cli import _imageopts as O
from teu.cli._flags import BOOL, INT, STR, Flag

FLAGS = [*O.REGISTRY,
         Flag("quiet", "q", BOOL, "Suppress verbose output (print only the digest)"),
         Flag("chunk-size", None, INT, "Upload blobs in chunks of this many bytes (default: "
              "one request)"),
         Flag("digestfile", None, STR, "Write the manifest's digest to this file"),
         Flag("jobs", "j", INT, "Blobs sent at once (default 3)")]


def main(argv: list[str]) -> int:
    parsed = O.parse(argv, FLAGS, "teu push", "[OPTIONS] NAME[:TAG] [DESTINATION]",
                     "Push an image or a repository to a registry", 1, 2)
    if parsed is None:
        return 0
    opts, args = parsed
    image = args[0]
    destination = args[1] if len(args) > 1 else None

    def go() -> int:
        from teu.image.progress import for_output
        from teu.registry.client.push import push

        with O.store(opts.get("root")) as st:
            r = push(st, image, destination, tls_verify=O.tls_verify(opts.get("tls_verify")),
                     authfile=opts.get("authfile"), credentials_=O.creds(opts.get("creds")),
                     progress=for_output(bool(opts.get("quiet"))),
                     chunk_size=opts.get("chunk_size") or None,
                     jobs=max(1, opts.get("jobs", 3)))
        if opts.get("digestfile"):
            with open(opts["digestfile"], "w") as f:
                f.write(r.digest)
        if opts.get("quiet"):
            print(r.digest)
        else:
            print(f"{r.reference.tag or 'latest'}: digest: {r.digest} size: {r.size}")
        return 0

    return O.run(destination or image, go)
