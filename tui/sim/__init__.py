"""Simulated loopback worlds (DNS, TLS, HTTP, ESP APIs) shared by the tests and `trackdeck demo`."""
