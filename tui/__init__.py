"""trackdeck's application layer: inventory, credentials, fleet scan, CLI and the Textual dashboard."""
