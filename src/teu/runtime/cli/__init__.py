"""teu-runtime's command line: main.py parses, one module per verb does the work."""
