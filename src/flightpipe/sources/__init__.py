"""Flight-data sources: each fetches native pages of one board; a format module normalises them."""
