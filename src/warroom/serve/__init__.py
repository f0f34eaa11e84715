"""`warroom serve`: the war room in a browser. The console for the team, one process per
tab through textual-serve, behind a login; a read-only status page per audience, fed by one
change-feed reader in the server and pushed with server-sent events."""
