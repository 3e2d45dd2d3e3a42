"""The memory of every scan: an SQLite file of transitions, not copies — when each finding appeared,
changed severity or went away, and the observed values worth a timeline (CNAME target, certificate,
the ESP's state, blocklist verdicts) — and what it answers: since when, what changed, what expires."""
