"""`teu pull [-q] [--platform P] [--tls-verify=false] NAME[:TAG|@DIGEST]`."""

from __future__ import annotations

from teu.cli import _imageopts as O
from teu.cli._flags import BOOL, INT, STR, Flag

FLAGS = [*O.REGISTRY,
         Flag("quiet", "q", BOOL, "Suppress verbose output"),
         Flag("platform", None, STR, "Set platform if server is multi-platform capable"),
         Flag("jobs", "j", INT, "Layers fetched at once (default 4)"),
         Flag("signature-policy", None, STR, "Trust policy (containers-policy.json; default "
              "$TEU_POLICY, /etc/teu/policy.json, /etc/containers/policy.json)", "FILE")]


def main(argv: list[str]) -> int:
    parsed = O.parse(argv, FLAGS, "teu pull", "[OPTIONS] NAME[:TAG|@DIGEST]",
                     "Pull an image or a repository from a registry", 1, 1)
    if parsed is None:
        return 0
    opts, (name,) = parsed

    def go() -> int:
        from teu.image.progress import for_output
        from teu.registry.client.pull import pull

        with O.store(opts.get("root")) as st:
            r = pull(st, name, platform=opts.get("platform"),
                     tls_verify=O.tls_verify(opts.get("tls_verify")),
                     authfile=opts.get("authfile"), credentials_=O.creds(opts.get("creds")),
                     progress=for_output(bool(opts.get("quiet"))),
                     jobs=max(1, opts.get("jobs", 4)),
                     signature_policy=opts.get("signature_policy"))
        print(str(r.reference))
        return 0

    return O.run(name, go)
