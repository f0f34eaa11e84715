"""The console's screens, one module each; they render and dispatch, the rules live below."""
