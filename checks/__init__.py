"""Outside checks of click-tracking hosts: DNS, CAA, TLS, HTTP and URI blocklists → findings with fixes.

This package never imports the UI or the ESP clients; everything with I/O is injected through
`checks.context.CheckContext`.
"""
