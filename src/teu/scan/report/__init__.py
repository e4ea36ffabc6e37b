"""Scan findings as a table, JSON, SARIF 2.1.0 and CycloneDX 1.5 VEX."""
