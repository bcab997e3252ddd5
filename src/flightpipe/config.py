"""Settings from ``flightpipe.toml`` and ``FLIGHTPIPE__...`` environment variables, validated.

Precedence, highest first: explicit overrides (command-line flags), environment variables, the TOML file,
defaults. Nested keys use ``__`` in the environment: ``FLIGHTPIPE__SOURCE__SEED=7``. Unknown keys are errors,
never ignored: a typo in a config must not silently fall back to a default.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from flightpipe.airports import DEFAULT_AIRPORTS, ICAO_CODE, is_known_icao
from flightpipe.errors import ConfigError
from flightpipe.layout import Board
from flightpipe.monitoring.settings import AlertsSettings, ScheduleSettings, reject_secrets_in_file

CONFIG_FILE_ENV = "FLIGHTPIPE_CONFIG"
DEFAULT_CONFIG_FILE = "flightpipe.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SimulatedSourceSettings(_Strict):
    """The embedded source: a seeded model of real traffic rendered as aviationstack pages. No key, no network."""

    type: Literal["simulated"] = "simulated"
    seed: int = Field(default=20240601, description="Same seed, same traffic.")
    page_size: int = Field(default=100, ge=1, le=1000, description="Records per page, as the API paginates.")
    scale: float = Field(default=1.0, gt=0, le=20, description="Multiplier on the real daily volumes.")


class DuckDBWarehouseSettings(_Strict):
    type: Literal["duckdb"] = "duckdb"
    path: str | None = Field(default=None, description="Database file; default <data_dir>/warehouse.duckdb.")


SourceSettings = SimulatedSourceSettings
WarehouseSettings = DuckDBWarehouseSettings


def _split_list(value: Any) -> Any:
    """Accept ``EDDF,EDDM`` and ``["EDDF", "EDDM"]`` from the environment as well as TOML lists."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FLIGHTPIPE__",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    data_dir: str = Field(
        default="flightpipe-data",
        description="Root of the object store: a local folder, or s3://bucket/prefix.",
    )
    airports: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_AIRPORTS),
        description="ICAO codes of the airports whose boards are collected.",
    )
    boards: Annotated[list[Board], NoDecode] = Field(default_factory=lambda: [Board.DEPARTURES, Board.ARRIVALS])
    source: SourceSettings = Field(default_factory=SimulatedSourceSettings)
    warehouse: WarehouseSettings = Field(default_factory=DuckDBWarehouseSettings)
    ledger_path: str | None = Field(default=None, description="SQLite run history; default <data_dir>/ledger.sqlite.")
    collect_workers: int = Field(default=4, ge=1, le=64, description="Boards collected in parallel.")
    transform_workers: int = Field(default=2, ge=1, le=64, description="Raw files transformed in parallel.")
    alerts: AlertsSettings = Field(default_factory=AlertsSettings, description="Notifiers and alert thresholds.")
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings, description="`flightpipe schedule`.")

    @field_validator("airports", "boards", mode="before")
    @classmethod
    def _lists_from_text(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("alerts", mode="before")
    @classmethod
    def _no_password_in_file(cls, value: Any) -> Any:
        reject_secrets_in_file(_config_file_in_use())
        return value

    @field_validator("airports")
    @classmethod
    def _known_icao(cls, codes: list[str]) -> list[str]:
        if not codes:
            raise ValueError("at least one airport is needed, e.g. ['EDDF']")
        normalised: list[str] = []
        for code in codes:
            upper = code.strip().upper()
            if not ICAO_CODE.match(upper):
                raise ValueError(f"{code!r} is not an ICAO airport code: 4 letters, e.g. EDDF for Frankfurt")
            if not is_known_icao(upper):
                raise ValueError(f"{code!r} is not an ICAO code known to airportsdata (e.g. EDDF, EDDM, EDDB)")
            if upper not in normalised:
                normalised.append(upper)
        return normalised

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = _config_file_in_use()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)

    # Derived locations -------------------------------------------------------------------------------------

    @property
    def is_simulated(self) -> bool:
        return self.source.type == "simulated"

    def local_data_dir(self) -> Path | None:
        return None if "://" in self.data_dir else Path(self.data_dir)

    def resolved_ledger_path(self) -> Path:
        if self.ledger_path:
            return Path(self.ledger_path)
        local = self.local_data_dir()
        if local is None:
            raise ConfigError("ledger_path must be set when data_dir is not a local folder")
        return local / "ledger.sqlite"

    def resolved_warehouse_path(self) -> Path:
        if self.warehouse.path:
            return Path(self.warehouse.path)
        local = self.local_data_dir()
        if local is None:
            raise ConfigError("warehouse.path must be set when data_dir is not a local folder")
        return local / "warehouse.duckdb"

    def lock_dir(self) -> Path:
        return self.resolved_ledger_path().parent / "locks"


# Which file is read is decided per load, so tests and the CLI's --config can point elsewhere.
_config_file_override: Path | None = None


def _config_file_in_use() -> Path | None:
    if _config_file_override is not None:
        return _config_file_override
    env = os.environ.get(CONFIG_FILE_ENV)
    if env:
        return Path(env)
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.exists() else None


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Load and validate settings; raises ConfigError whose message names every bad key and what is allowed."""
    global _config_file_override
    if config_file is not None and not config_file.exists():
        raise ConfigError(f"config file {config_file} does not exist (create one with `flightpipe init`)")
    toml_file = config_file or _config_file_in_use()
    if toml_file is not None:
        try:
            tomllib.loads(toml_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{toml_file} is not valid TOML: {exc}") from exc
        except OSError as exc:
            raise ConfigError(f"cannot read config file {toml_file}: {exc}") from exc
    _reject_unknown_environment_keys()
    previous = _config_file_override
    _config_file_override = config_file
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, toml_file)) from None
    finally:
        _config_file_override = previous


def _reject_unknown_environment_keys() -> None:
    # pydantic-settings ignores FLIGHTPIPE__ variables that match no field; a typo there must not pass unseen.
    known = set(Settings.model_fields)
    for name in os.environ:
        if name.startswith("FLIGHTPIPE__"):
            top = name.removeprefix("FLIGHTPIPE__").split("__", 1)[0].lower()
            if top not in known:
                raise ConfigError(
                    f"invalid configuration: environment variable {name} names no setting; "
                    f"allowed: {', '.join('FLIGHTPIPE__' + k.upper() for k in sorted(known))}"
                )


def format_validation_error(exc: ValidationError, toml_file: Path | None) -> str:
    where = f"{toml_file} and FLIGHTPIPE__... environment" if toml_file else "FLIGHTPIPE__... environment"
    lines = [f"invalid configuration ({where}):"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(root)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            allowed = _allowed_keys(error["loc"])
            message = f"unknown key; allowed here: {', '.join(allowed)}"
        elif error["type"] == "literal_error":
            message = f"{message} (got {error.get('input')!r})"
        env_name = "FLIGHTPIPE__" + "__".join(str(p).upper() for p in error["loc"] if not isinstance(p, int))
        lines.append(f"  {key}: {message}  [env: {env_name}]")
    return "\n".join(lines)


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] = Settings
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        if field is None or not isinstance(field.annotation, type) or not issubclass(field.annotation, BaseModel):
            break
        model = field.annotation
    return sorted(model.model_fields)
