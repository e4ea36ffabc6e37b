"""The offline vulnerability database: one SQLite file, filled by imports, read by scans.

    db.py        the schema, opening (a clear error on a corrupt file), status
    osv.py       OSV JSON records -> rows (ranges ECOSYSTEM/SEMVER, events, versions)
    debian.py    the Debian security tracker's JSON -> rows keyed by source package
    importer.py  FILE | DIR | URL (JSON, zip of JSON) -> one transaction
    artifact.py  the database as an OCI artifact: push to / pull from a registry
"""
