"""ESP APIs simulated in process, one module per ESP over shared pieces (`core`)."""
