"""Flight-data sources: each fetches native pages of one board; its ``normalise.py`` maps them to typed rows.

``registry`` lists the sources: one folder per source, one registration line.
"""
