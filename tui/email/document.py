"""`trackdeck audit-email --json`: one versioned document, in the style of `check --json`."""

from __future__ import annotations

import datetime as dt
import json
from typing import TextIO

from checks.names import unicode_form
from checks.printable import json_safe
from tui.email.model import DomainRow, EmailAudit, Link
from tui.report.document import JSON_VERSION, trackdeck_version, utc_text


def audit_json(audit: EmailAudit) -> dict[str, object]:
    """The versioned document of `trackdeck audit-email --json`."""
    message = audit.message
    use = audit.tracking
    return {
        "version": JSON_VERSION,
        "generated_at": utc_text(dt.datetime.now(dt.UTC)),
        "trackdeck_version": trackdeck_version(),
        "source": audit.source,
        "message": {
            "kind": message.kind,
            "from": message.from_header,
            "from_domain": message.from_domain,
            "subject": message.subject,
            "dkim_domains": list(message.dkim_domains),
            "return_path_domain": message.return_path_domain,
            "organisational_domains": list(audit.org_domains),
            "parts": list(message.parts),
            "notes": list(message.notes),
        },
        "health": audit.health.value,
        "tracking": {
            "verdict": use.verdict,
            "branded": list(use.branded),
            "shared": list(use.shared),
            "tracked_urls": use.tracked,
            "links": use.clicks,
            "untracked_links": use.untracked,
        },
        "findings": [finding.as_json() for finding in audit.findings],
        "domains": [domain_json(row) for row in audit.domains],
        "links": [link_json(link) for link in audit.links],
    }


def domain_json(row: DomainRow) -> dict[str, object]:
    """One host, in the shape of `check --json`'s domains plus what the audit knows of it."""
    role = row.role
    return {
        **host_json(row.host),
        "esp": role.esp,
        "role": role.role,
        "registered_domain": row.registered_domain,
        "brand": role.brand or None,
        "account": role.account or None,
        "in_inventory": bool(role.fleet_key),
        "urls": row.urls,
        "behind_tracking": row.behind,
        "sources": list(row.sources),
        "aligned": row.aligned,
        "lists": row.lists,
        "health": row.health.value,
        "findings": [finding.as_json() for finding in row.findings],
    }


def link_json(link: Link) -> dict[str, object]:
    """One URL of the message: where it is, its host's role and, if tracked, its destination."""
    found = link.found
    return {
        "url": found.url,
        "source": found.source,
        "part": found.part,
        "element": found.element,
        **host_json(found.host),
        "role": link.role,
        "esp": link.esp,
        "pixel": link.is_pixel,
        "destination": link.destination,
        "decoding": link.decoding or None,
    }


def host_json(host: str | None) -> dict[str, str | None]:
    """`host` (the A-label DNS is asked about), and `host_unicode` beside it where that differs."""
    shown = unicode_form(host) if host else None
    return {"host": host, "host_unicode": shown} if shown else {"host": host}


def write_json(audit: EmailAudit, stream: TextIO) -> None:
    """The document, indented, on one stream."""
    stream.write(json_safe(json.dumps(audit_json(audit), indent=2, ensure_ascii=False)))
    stream.write("\n")
