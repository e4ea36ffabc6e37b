"""SBOM documents of an inventory: SPDX 2.3 JSON, CycloneDX 1.5 JSON, a table; purls."""
