"""Everything the CLI prints: consoles, stream views, tables, trace trees, JSON shapes."""
