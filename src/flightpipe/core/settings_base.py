"""What every settings model shares: unknown keys are errors, values are frozen, lists may come as text."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A settings section: a typo in a key is an error, never a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def split_list(value: Any) -> Any:
    """Accept ``EDDF,EDDM`` and ``["EDDF", "EDDM"]`` from the environment as well as TOML lists."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value
