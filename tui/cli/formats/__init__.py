"""The headless output formats of `check`, `scan` and `demo`: one document, five ways to write it."""
