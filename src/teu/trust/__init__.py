"""teu.trust: image signatures in cosign's formats, and the trust policy pull and run obey.

Beside teu.registry (layer 4), so the engine can enforce it. One module per job:

    keys          cosign's key pair: ECDSA P-256 PEM public key, ENCRYPTED SIGSTORE PRIVATE KEY
    payload       the simple-signing payload (critical.identity / image / type, optional)
    dsse          in-toto statements in DSSE envelopes (attestations)
    sigimage      the signature image: OCI manifest whose layers are signed payloads
    remote        signatures in a registry: tag `sha256-<hex>.sig`, OCI 1.1 referrers
    local         signatures kept beside images in the store (they travel with push, save)
    layout        cosign's OCI layout (kind annotations: image, sigs, atts)
    verify        check signatures against a key and a digest, cosign's error kinds
    policy        containers-policy.json: parse (file:line errors), find, evaluate
    enforce       the one call pull and run make: admit(reference, digest, ...) or refuse

cryptography and PyNaCl are imported inside the functions that sign or verify:
a run under insecureAcceptAnything never loads them.
"""
