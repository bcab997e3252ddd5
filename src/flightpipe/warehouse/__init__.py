"""Warehouses: one small interface, one adapter per engine."""
