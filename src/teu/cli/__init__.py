"""The `teu` command: docker's verbs over teu's layers, one file per verb."""
