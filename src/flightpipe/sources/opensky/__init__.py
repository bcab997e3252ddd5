"""sources.opensky."""
