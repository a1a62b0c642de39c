"""One module per ``fruxon`` command (group)."""
