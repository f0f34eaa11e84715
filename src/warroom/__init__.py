"""warroom: a terminal war room for go-live day on one shared SQLite file."""

__version__ = "0.1.0"
