"""The state file (``ledger.sqlite``): runs, steps, quality results, alerts sent, API usage and credits.

``db`` owns the SQLite connection (set-up, lock, transactions) and ``schema`` the schema versions; one module per
table group (``runs``, ``quality``, ``alerts``, ``usage``, ``credits``); ``store.StateStore`` is the one entry
point (``with StateStore.open(paths.ledger) as state: state.runs...``).
"""
