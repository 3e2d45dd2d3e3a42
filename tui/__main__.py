"""`python -m tui` runs the trackdeck command line."""

from tui.cli.main import main

raise SystemExit(main())
