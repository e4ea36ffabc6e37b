"""The Dockerfile language, pure: lexer (word expansion), parser (lines -> nodes),
instructions (nodes -> typed instructions and stages)."""
