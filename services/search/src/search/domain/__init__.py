"""Search's rules, with no I/O: case numbers, names, visibility, queries, cursors, snippets."""
