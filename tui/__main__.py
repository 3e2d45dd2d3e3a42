"""`python -m tui` runs the trackdeck command line."""

from tui.cli import main

raise SystemExit(main())
