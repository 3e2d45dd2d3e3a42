"""How a host's result reads wherever it is shown: severity symbols and styles, the per-concern
cells, the versioned JSON shape and the exit statuses."""
