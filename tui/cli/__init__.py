"""The `trackdeck` command line: argument parsing, one module per command, headless output."""
