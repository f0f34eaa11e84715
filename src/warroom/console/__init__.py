"""What the console's screens and widgets stand on, without drawing anything: the room as
they show it, the messages they pass, and the Textual internals they rely on."""
