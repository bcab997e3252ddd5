"""sources.aerodatabox."""
