"""aws.handlers."""
