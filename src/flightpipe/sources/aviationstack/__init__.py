"""sources.aviationstack."""
