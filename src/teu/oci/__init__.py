"""The OCI specs' data types: runtime config, image types, digests. Pure: JSON in, objects out."""
