"""The day's timeline and retrospective report, rebuilt from the events journal and written
in Markdown, HTML, JSON or CSV. No Textual here: `warroom export` must start fast."""

FORMATS = ("md", "html", "json", "csv")
