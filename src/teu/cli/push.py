"""`teu push [-q] [--tls-verify=false] [--chunk-size N] [--digestfile F] IMAGE [DESTINATION]`."""

from __future__ import annotations

from teu.cli import _imageopts as O


def main(argv: list[str]) -> int:
    p = O.parser("teu push", "Upload an image to a registry.")
    O.add_registry(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print only the digest")
    p.add_argument("--chunk-size", type=int, default=0,
                   help="upload blobs in chunks of this many bytes (default: one request)")
    p.add_argument("--digestfile", help="write the manifest's digest to this file")
    p.add_argument("-j", "--jobs", type=int, default=3, help="blobs sent at once (default 3)")
    p.add_argument("image")
    p.add_argument("destination", nargs="?", help="name to push as (default: the image's name)")
    args = p.parse_args(argv)

    def go() -> int:
        from teu.image.progress import for_output
        from teu.registry.client.push import push

        with O.store(args.root) as st:
            r = push(st, args.image, args.destination, tls_verify=O.tls_verify(args.tls_verify),
                     authfile=args.authfile, credentials_=O.creds(args.creds),
                     progress=for_output(args.quiet), chunk_size=args.chunk_size or None,
                     jobs=max(1, args.jobs))
        if args.digestfile:
            with open(args.digestfile, "w") as f:
                f.write(r.digest)
        if args.quiet:
            print(r.digest)
        else:
            print(f"{r.reference.tag or 'latest'}: digest: {r.digest} size: {r.size}")
        return 0

    return O.run(args.destination or args.image, go)
