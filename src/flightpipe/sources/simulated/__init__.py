"""sources.simulated."""
