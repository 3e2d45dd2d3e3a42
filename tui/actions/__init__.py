"""The write actions at an ESP (verify, HTTPS on and off): the rules that guard them, the HTTPS
flow, and the append-only journal (the audit log) of every write."""
