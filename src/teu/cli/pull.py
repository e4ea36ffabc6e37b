"""`teu pull [-q] [--platform P] [--tls-verify=false] NAME[:TAG|@DIGEST]`."""

from __future__ import annotations

from teu.cli import _imageopts as O
from teu.cli._flags import BOOL, INT, STR, Flag

FLAGS = [*O.REGISTRY,
         Flag("quiet", "q", BOOL, "Suppress verbose output"),
         Flag("platform", None, STR, "Set platform if server is multi-platform capable"),
         Flag("jobs", "j", INT, "Layers fetched at once (default 4)"),
         Flag("signature-policy", None, STR, "Trust policy (containers-policy.json; default "
              "$TEU_POLICY, /etc/teu/policy.json, /etc/containers/policy.json)", "FILE"),
         # teu.scan's gate: refuse the image when the local vulnerability DB says so.
         Flag("scan", None, BOOL, "Scan the image after pulling; refuse it (exit 1, image "
              "not kept) with findings at --scan-severity or above"),
         Flag("scan-severity", None, STR, "Severity that refuses the image (default HIGH)"),
         Flag("scan-db", None, STR, "Vulnerability database for --scan", "FILE")]


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
            before = _present(st, name) if opts.get("scan") else None
            r = pull(st, name, platform=opts.get("platform"),
                     tls_verify=O.tls_verify(opts.get("tls_verify")),
                     authfile=opts.get("authfile"), credentials_=O.creds(opts.get("creds")),
                     progress=for_output(bool(opts.get("quiet"))),
                     jobs=max(1, opts.get("jobs", 4)),
                     signature_policy=opts.get("signature_policy"))
            if opts.get("scan"):
                _scan_gate(st, name, before, opts)
        print(str(r.reference))
        return 0

    return O.run(name, go)


def _present(st, name: str) -> str | None:  # noqa: ANN001
    from teu.errors import TeuError

    try:
        return st.resolve_id(name)
    except TeuError:
        return None


def _scan_gate(st, name: str, before: str | None, opts: dict) -> None:  # noqa: ANN001
    """Refuse the pulled image if the scan finds too much; the store keeps what it had."""
    import sys

    from teu.errors import TeuError
    from teu.scan.policy import ScanPolicy, enforce

    policy = ScanPolicy(severity=(opts.get("scan_severity") or "HIGH").upper(),
                        db_path=opts.get("scan_db"))
    found = enforce(st, name, policy)
    if not found:
        return
    for f in found[:20]:
        print(f"  {f.severity:<8} {f.id} {f.package} {f.installed} "
              f"({'fixed in ' + f.fixed if f.fixed else 'no fix'})", file=sys.stderr)
    pulled = st.resolve_id(name)
    if before is None:
        st.remove(name)
    elif before != pulled:
        st.tag(before, name)        # the tag points where it did before the pull
        st.gc()
    raise TeuError(f"refused by the scan policy: {len(found)} finding(s) at "
                   f"{policy.severity} or above (see `teu scan {name}`)", 1)
