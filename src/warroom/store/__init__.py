"""SQLite: open and migrate, the write commands, the journal, the change feed, queries."""
