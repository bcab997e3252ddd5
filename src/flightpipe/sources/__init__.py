"""Flight-data sources: each fetches native pages of one board; each source's ``normalise.py`` maps them to typed rows; ``registry`` lists the sources."""
