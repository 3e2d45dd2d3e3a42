"""Runs one trackdeck command in a child process, as the console script would, pointed at a test's
loopback worlds: `python -m tests.support.trackdeck_driver '{"argv": [...], "authoritative_port": N,
"poll_interval": S}'`. TLS connections are refused (nothing may leave loopback)."""

from __future__ import annotations

import json
import socket
import sys

from tui.cli.main import build_parser
from tui.fleet.network import Environment


def refuse(address: str, port: int, timeout: float) -> socket.socket:
    """The TLS dialer: nothing in the test world listens on 443."""
    raise ConnectionRefusedError(f"{address}:{port} is not part of the test world")


def no_dqs_key() -> str | None:
    return None


def main(config_text: str) -> int:
    """Parse and run the command like `trackdeck` does; Ctrl-C outside a wait ends with 130."""
    config = json.loads(config_text)
    args = build_parser().parse_args(config["argv"])
    args.environment = Environment(
        dialer=refuse, authoritative_port=config["authoritative_port"], dqs_key=no_dqs_key
    )
    args.poll_interval = config["poll_interval"]
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        sys.stderr.write("trackdeck: interrupted\n")
        return 130


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
