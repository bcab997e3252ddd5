"""Data quality: rules (record and dataset), their results, the gate, quarantine replay. See docs/quality.md."""
