"""teu.scan: what is inside an image, which known vulnerabilities it carries, and a lint
of the common mistakes (root, `latest`, baked-in secrets, no limits).

    inventory/   an image's layers read as merged (whiteouts applied) without running it:
                 os-release, dpkg, apk, rpm (sqlite), Python, npm and Go packages; one
                 cached fact sheet per layer, so a warm scan reads no layer
    sbom/        SPDX 2.3 and CycloneDX 1.5 JSON documents, a table; purls
    versions/    version ordering exactly as dpkg, apk, rpm, PEP 440 and semver define it
    vulndb/      the offline vulnerability database (SQLite): OSV and the Debian security
                 tracker imported, status, the OCI artifact form for push/pull
    match.py     inventory x database -> findings (Debian advisories by source package)
    report/      findings as a table, JSON, SARIF, CycloneDX VEX
    lint/        rules with stable IDs over images, Dockerfiles, Compose files, manifests
                 and `teu run` flags

Layer 8 (beside compose and kube): reads the image store, never the engine.
"""
