"""The dashboard: the Textual app, its screens, widgets, messages and styles (the only part of
trackdeck that imports Textual), and the Textual-free session and demo session it runs on."""
