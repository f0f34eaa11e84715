"""What a go-live day holds: models, state machines and derived figures. No I/O."""
