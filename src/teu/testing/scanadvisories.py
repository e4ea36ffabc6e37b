"""Vulnerability data for the fixture images of teu.testing.scanimages, with the matches
worked out by hand (EXPECTED). The same records feed teu's database (OSV files and a
Debian tracker JSON) and the trivy database the differential tests write.

How each Debian entry should come out against the fixture (bookworm, source versions):
  openssl CVE-2023-5678  fixed 3.0.13-1~deb12u1 > 3.0.11-1~deb12u2   affected, fixed
  openssl CVE-2023-4807  fixed 3.0.11-1~deb12u1 < 3.0.11-1~deb12u2   not affected (~)
  openssl CVE-2024-0727  open                                         affected, unfixed
  openssl CVE-2022-0001  fixed "0": bookworm never had it              not affected
  curl    CVE-2024-2398  fixed 7.88.1-10+deb12u6 > ...+deb12u5         affected
  zlib    CVE-2023-45853 fixed 1:1.2.13.dfsg-2 > 1:1.2.13.dfsg-1       affected
  zlib    CVE-2018-25032 fixed 1.2.13.dfsg-3 (epoch 0) < 1:1.2.13...   not affected (epoch)
  bash    CVE-2022-3715  open in bullseye only; bookworm fixed 5.2.15-1 not affected
  glibc   CVE-2023-4911  fixed 2.36-9+deb12u3 < 2.36-9+deb12u4         not affected
  glibc   CVE-2024-2961  fixed 2.36-9+deb12u6 > 2.36-9+deb12u4         affected
  perl    CVE-2023-47038 open                                          affected, unfixed
Each openssl/curl finding is reported for both binaries built from that source.
"""

from __future__ import annotations

import json
import os

TRACKER = {
    "openssl": {
        "CVE-2023-5678": {"description": "DH key generation is slow", "releases": {
            "bookworm": {"status": "resolved", "fixed_version": "3.0.13-1~deb12u1",
                         "urgency": "medium", "repositories": {}},
            "sid": {"status": "resolved", "fixed_version": "3.0.13-1", "urgency": "medium"}}},
        "CVE-2023-4807": {"description": "POLY1305 MAC on Windows", "releases": {
            "bookworm": {"status": "resolved", "fixed_version": "3.0.11-1~deb12u1",
                         "urgency": "high"}}},
        "CVE-2024-0727": {"description": "PKCS12 NULL dereference", "releases": {
            "bookworm": {"status": "open", "urgency": "low"}}},
        "CVE-2022-0001": {"description": "never in bookworm", "releases": {
            "bookworm": {"status": "resolved", "fixed_version": "0", "urgency": "high"}}},
    },
    "curl": {"CVE-2024-2398": {"description": "HTTP/2 push headers leak", "releases": {
        "bookworm": {"status": "resolved", "fixed_version": "7.88.1-10+deb12u6",
                     "urgency": "high"}}}},
    "zlib": {
        "CVE-2023-45853": {"description": "MiniZip integer overflow", "releases": {
            "bookworm": {"status": "resolved", "fixed_version": "1:1.2.13.dfsg-2",
                         "urgency": "medium"}}},
        "CVE-2018-25032": {"description": "deflate memory corruption", "releases": {
            "bookworm": {"status": "resolved", "fixed_version": "1.2.13.dfsg-3",
                         "urgency": "high"}}},
    },
    "bash": {"CVE-2022-3715": {"description": "valid_parameter_transform overflow",
                               "releases": {
        "bullseye": {"status": "open", "urgency": "low"},
        "bookworm": {"status": "resolved", "fixed_version": "5.2.15-1", "urgency": "low"}}}},
    "glibc": {
        "CVE-2023-4911": {"description": "Looney Tunables", "releases": {
            "bookworm": {"status": "resolved", "fixed_version": "2.36-9+deb12u3",
                         "urgency": "high"}}},
        "CVE-2024-2961": {"description": "iconv ISO-2022-CN-EXT overflow", "releases": {
            "bookworm": {"status": "resolved", "fixed_version": "2.36-9+deb12u6",
                         "urgency": "high"}}},
    },
    "perl": {"CVE-2023-47038": {"description": "regex heap overflow", "releases": {
        "bookworm": {"status": "open", "urgency": "medium"}}}},
}
# An entry of a shape the importer does not know: skipped and counted.
TRACKER_BAD = {"weird": {"CVE-2000-0001": "not an object"}}


def _osv(vid: str, eco: str, name: str, ranges: list, severity: str | None = None,
         versions: list | None = None, withdrawn: str | None = None,
         cvss: str | None = None) -> dict:
    rec: dict = {"schema_version": "1.6.0", "id": vid, "modified": "2024-01-01T00:00:00Z",
                 "summary": f"{name}: fixture advisory {vid}", "aliases": [],
                 "affected": [{"package": {"ecosystem": eco, "name": name},
                               "ranges": ranges, **({"versions": versions} if versions else {})}]}
    if severity:
        rec["database_specific"] = {"severity": severity}
    if cvss:
        rec["severity"] = [{"type": "CVSS_V3", "score": cvss}]
    if withdrawn:
        rec["withdrawn"] = withdrawn
    return rec


def _r(kind: str, *events: tuple[str, str]) -> dict:
    return {"type": kind, "events": [{k: v} for k, v in events]}


OSV = [
    _osv("GHSA-h5c8-rqwp-cp95", "PyPI", "jinja2",
         [_r("ECOSYSTEM", ("introduced", "0"), ("fixed", "3.1.3"))], "MODERATE"),
    _osv("PYSEC-2021-142", "PyPI", "PyYAML",
         [_r("ECOSYSTEM", ("introduced", "0"), ("fixed", "5.4"))], "CRITICAL",
         versions=["5.1", "5.3.1"]),
    _osv("GHSA-9wx4-h78v-vm56", "PyPI", "requests",
         [_r("ECOSYSTEM", ("introduced", "0"), ("fixed", "2.32.0"))], "MODERATE"),
    _osv("GHSA-v845-jxx5-vc9f", "PyPI", "urllib3",      # its package was deleted: no match
         [_r("ECOSYSTEM", ("introduced", "0"), ("fixed", "1.26.18"))], "HIGH"),
    _osv("GHSA-35jh-r3h4-6jhm", "npm", "lodash",
         [_r("SEMVER", ("introduced", "0"), ("fixed", "4.17.21"))], "HIGH"),
    _osv("GHSA-xvch-5gv4-984h", "npm", "minimist",
         [_r("SEMVER", ("introduced", "0"), ("fixed", "0.2.4")),
          _r("SEMVER", ("introduced", "1.0.0"), ("fixed", "1.2.6"))], "CRITICAL"),
    _osv("GHSA-gxpj-cx7g-858c", "npm", "debug",          # fixed in exactly 2.6.9: no match
         [_r("SEMVER", ("introduced", "0"), ("fixed", "2.6.9")),
          _r("SEMVER", ("introduced", "3.0.0"), ("fixed", "3.1.0"))], "LOW"),
    _osv("GHSA-rv95-896h-c2vc", "npm", "express",        # last_affected: no fix
         [_r("SEMVER", ("introduced", "0"), ("last_affected", "4.17.1"))], "MODERATE"),
    _osv("GHSA-67hx-6x53-jw92", "npm", "@babel/traverse",
         [_r("SEMVER", ("introduced", "0"), ("fixed", "7.23.2"))],
         cvss="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
    _osv("GHSA-0000-with-drawn", "npm", "lodash",        # withdrawn: never reported
         [_r("SEMVER", ("introduced", "0"))], "HIGH", withdrawn="2024-02-01T00:00:00Z"),
    _osv("GO-2023-1840", "Go", "stdlib",
         [_r("SEMVER", ("introduced", "0"), ("fixed", "1.19.10"))], "HIGH"),
    _osv("ALPINE-CVE-2024-0727", "Alpine:v3.19", "openssl",   # fixed in what is installed
         [_r("ECOSYSTEM", ("introduced", "0"), ("fixed", "3.1.4-r5"))], "MEDIUM"),
    _osv("ALPINE-CVE-2024-2511", "Alpine:v3.19", "openssl",
         [_r("ECOSYSTEM", ("introduced", "0"), ("fixed", "3.1.4-r6"))], "MEDIUM"),
    _osv("ALPINE-CVE-2025-26519", "Alpine:v3.19", "musl",
         [_r("ECOSYSTEM", ("introduced", "0"), ("fixed", "1.2.4_git20230717-r5"))], "HIGH"),
    _osv("RLSA-2024:0001", "Rocky Linux:9", "openssl-libs",
         [_r("ECOSYSTEM", ("introduced", "0"), ("fixed", "1:3.0.7-27.el9"))], "HIGH"),
    _osv("RLSA-2024:0002", "Rocky Linux:9", "bash",          # fixed in what is installed
         [_r("ECOSYSTEM", ("introduced", "0"), ("fixed", "5.1.8-6.el9"))], "LOW"),
    _osv("GHSA-git-only-range", "npm", "lodash",              # GIT ranges only: skipped
         [{"type": "GIT", "repo": "https://example.invalid/x",
           "events": [{"introduced": "abc"}]}], "HIGH"),
]
OSV_UNKNOWN = [{"foo": "bar"}, ["not", "a", "record"]]

# (id, package, fixed or "", severity) expected per image.
EXPECTED = {
    "debian": {
        ("CVE-2023-5678", "openssl", "3.0.13-1~deb12u1", "MEDIUM"),
        ("CVE-2023-5678", "libssl3", "3.0.13-1~deb12u1", "MEDIUM"),
        ("CVE-2024-0727", "openssl", "", "LOW"),
        ("CVE-2024-0727", "libssl3", "", "LOW"),
        ("CVE-2024-2398", "curl", "7.88.1-10+deb12u6", "HIGH"),
        ("CVE-2024-2398", "libcurl4", "7.88.1-10+deb12u6", "HIGH"),
        ("CVE-2023-45853", "zlib1g", "1:1.2.13.dfsg-2", "MEDIUM"),
        ("CVE-2024-2961", "libc6", "2.36-9+deb12u6", "HIGH"),
        ("CVE-2023-47038", "perl-base", "", "MEDIUM"),
        ("GHSA-h5c8-rqwp-cp95", "Jinja2", "3.1.3", "MEDIUM"),
        ("PYSEC-2021-142", "PyYAML", "5.4", "CRITICAL"),
        ("GHSA-9wx4-h78v-vm56", "requests", "2.32.0", "MEDIUM"),
        ("GHSA-35jh-r3h4-6jhm", "lodash", "4.17.21", "HIGH"),
        ("GHSA-xvch-5gv4-984h", "minimist", "1.2.6", "CRITICAL"),
        ("GHSA-rv95-896h-c2vc", "express", "", "MEDIUM"),
        ("GHSA-67hx-6x53-jw92", "@babel/traverse", "7.23.2", "CRITICAL"),
        ("GO-2023-1840", "stdlib", "1.19.10", "HIGH"),      # only with the host's Go binary
    },
    "alpine": {
        ("ALPINE-CVE-2024-2511", "libcrypto3", "3.1.4-r6", "MEDIUM"),
        ("ALPINE-CVE-2024-2511", "libssl3", "3.1.4-r6", "MEDIUM"),
        ("ALPINE-CVE-2025-26519", "musl", "1.2.4_git20230717-r5", "HIGH"),
    },
    "rpm": {("RLSA-2024:0001", "openssl-libs", "1:3.0.7-27.el9", "HIGH")},
}


def write(out_dir: str) -> dict[str, str]:
    """The fixture advisories as files: osv/ (one record a file, plus unknown ones),
    debian-tracker.json; returns their paths."""
    osv_dir = os.path.join(out_dir, "osv")
    os.makedirs(osv_dir, exist_ok=True)
    for rec in OSV:
        with open(os.path.join(osv_dir, rec["id"].replace(":", "_") + ".json"), "w") as f:
            json.dump(rec, f)
    with open(os.path.join(osv_dir, "unknown.json"), "w") as f:
        json.dump(OSV_UNKNOWN, f)
    tracker = os.path.join(out_dir, "debian-tracker.json")
    with open(tracker, "w") as f:
        json.dump({**TRACKER, **TRACKER_BAD}, f)
    return {"osv": osv_dir, "tracker": tracker}
