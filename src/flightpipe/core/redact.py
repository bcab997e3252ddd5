"""Secrets never leave the process: redact them from anything logged, stored, raised or recorded.

Two nets: values registered at start-up (every configured secret, whatever its shape) are replaced wherever
they appear, and well-known secret-bearing patterns (``access_key=...`` in a URL, ``Authorization`` headers,
``password=``) are masked even when the value was never registered.
"""

from __future__ import annotations

import re
import threading
from typing import Any

MASK = "***REDACTED***"

_SECRET_PARAM = re.compile(
    r"(?i)(\b(?:access_key|api_key|apikey|key|token|access_token|client_secret|password|passwd|secret)=)([^&\s\"']+)"
)
_SECRET_HEADER = re.compile(
    r"(?i)((?:authorization|x-rapidapi-key|x-api-key)[\"']?\s*[:=]\s*[\"']?)(?:bearer\s+|basic\s+)?([^\s\"',}]+)"
)
_URL_PASSWORD = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)([^@\s/]+)(@)")
_SECRET_KEYS = frozenset(
    {
        "access_key",
        "api_key",
        "apikey",
        "password",
        "token",
        "access_token",
        "client_secret",
        "secret",
        "authorization",
        "x-rapidapi-key",
        "x-api-key",
    }
)

_registered: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Mask ``value`` wherever it appears from now on (values shorter than 4 characters are ignored)."""
    if value and len(value) >= 4:
        with _lock:
            _registered.add(value)


#: The shortest registered secret masked inside data (``mask_registered``): a shorter one could equal a real
#: value (a gate, a flight number) and corrupt the record it masks.
MIN_MASKED_IN_DATA = 8


def mask_registered(text: str) -> str:
    """Only the registered secret values (of at least ``MIN_MASKED_IN_DATA`` characters) masked: for data that
    is kept as it came (the raw layer), where the patterns of :func:`redact` could change a real value."""
    with _lock:
        values = sorted((v for v in _registered if len(v) >= MIN_MASKED_IN_DATA), key=len, reverse=True)
    for value in values:
        text = text.replace(value, MASK)
    return text


def redact(text: str) -> str:
    with _lock:
        values = sorted(_registered, key=len, reverse=True)
    for value in values:
        text = text.replace(value, MASK)
    text = _SECRET_PARAM.sub(lambda m: m.group(1) + MASK, text)
    text = _SECRET_HEADER.sub(lambda m: m.group(1) + MASK, text)
    return _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + m.group(3), text)


def redact_obj(value: Any) -> Any:
    """Redact every string in a JSON-like structure, and every value under a secret-sounding key."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {
            k: (MASK if isinstance(k, str) and k.lower() in _SECRET_KEYS and v else redact_obj(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_obj(v) for v in value]
    return value
