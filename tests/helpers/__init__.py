"""Shared test helpers: fake services, fake data, builders."""
