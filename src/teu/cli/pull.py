"""`teu pull [-q] [--platform P] [--tls-verify=false] NAME[:TAG|@DIGEST]`."""

from __future__ import annotations

from teu.cli import _imageopts as O


def main(argv: list[str]) -> int:
    p = O.parser("teu pull", "Download an image from a registry.")
    O.add_registry(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print only the image name")
    p.add_argument("--platform", help="os/arch[/variant] (default: this host's)")
    p.add_argument("-j", "--jobs", type=int, default=4, help="layers fetched at once (default 4)")
    p.add_argument("--signature-policy", metavar="FILE",
                   help="trust policy (containers-policy.json); default $TEU_POLICY, "
                        "/etc/teu/policy.json, /etc/containers/policy.json")
    p.add_argument("name")
    args = p.parse_args(argv)

    def go() -> int:
        from teu.image.progress import for_output
        from teu.registry.client.pull import pull

        with O.store(args.root) as st:
            r = pull(st, args.name, platform=args.platform, tls_verify=O.tls_verify(args.tls_verify),
                     authfile=args.authfile, credentials_=O.creds(args.creds),
                     progress=for_output(args.quiet), jobs=max(1, args.jobs),
                     signature_policy=args.signature_policy)
        print(str(r.reference))
        return 0

    return O.run(args.name, go)
