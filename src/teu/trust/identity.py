"""signedIdentity: does a signature's docker-reference fit the image being admitted?
(containers/image's policy_reference_match.go semantics.)

cosign writes the repository alone (no tag), and a name-only identity never passes
matchExact or matchRepoDigestOrExact (the default), even for a digest reference, as in
containers/image: a policy for cosign-signed images wants matchRepository.
"""

from __future__ import annotations

from teu.image import reference as R


def _parse(text: str) -> R.Reference | None:
    try:
        return R.parse(text, default_tag=False)
    except R.ReferenceError:
        return None


def matches(rule: dict, image: R.Reference, signed: str) -> str | None:
    """None when `signed` (the payload's docker-reference) is accepted for `image`
    under `rule`; else why not."""
    kind = rule.get("type", "matchRepoDigestOrExact")
    sig = _parse(signed)
    if sig is None:
        return f"signature identity {signed!r} is not a docker reference"
    name_only = sig.tag is None and sig.digest is None
    if kind == "matchRepository":
        ok = sig.repository == image.repository
    elif kind == "matchExact":
        ok = not name_only and str(sig) == str(image) and (image.tag or image.digest) is not None
    elif kind == "matchRepoDigestOrExact":
        if name_only:
            ok = False
        elif image.tag:
            ok = str(sig) == str(image)
        else:
            ok = sig.repository == image.repository
    elif kind == "exactReference":
        want = _parse(rule["dockerReference"])
        ok = want is not None and not name_only and str(sig) == str(want)
    elif kind == "exactRepository":
        want = _parse(rule["dockerRepository"])
        ok = want is not None and sig.repository == want.repository
    elif kind == "remapIdentity":
        prefix, signed_prefix = rule["prefix"], rule["signedPrefix"]
        text = str(image)
        if text.startswith(prefix) and (len(text) == len(prefix) or
                                        text[len(prefix)] in "/:@" or prefix.endswith("/")):
            remapped = _parse(signed_prefix + text[len(prefix):])
            image = remapped or image
        return matches({"type": "matchRepoDigestOrExact"}, image, signed)
    else:
        return f"signedIdentity {kind!r} is not supported"
    if ok:
        return None
    hint = (" (cosign signs the repository alone, which containers/image's "
            "matchExact and matchRepoDigestOrExact never accept: use signedIdentity "
            "matchRepository)") if name_only and kind in ("matchExact",
                                                          "matchRepoDigestOrExact") else ""
    return f"signature identity {signed} does not match {image} under {kind}{hint}"
