"""Settings from ``flightpipe.toml`` and ``FLIGHTPIPE__...`` environment variables, validated.

Precedence, highest first: explicit overrides (command-line flags), environment variables, the TOML file,
defaults. Nested keys use ``__`` in the environment: ``FLIGHTPIPE__SOURCE__SEED=7``. Unknown keys are errors,
never ignored: a typo in a config must not silently fall back to a default.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from flightpipe.core.errors import ConfigError
from flightpipe.core.layout import Board
from flightpipe.core.paths import DEFAULT_CONFIG_FILE, DataPaths
from flightpipe.core.redact import register_secret
from flightpipe.core.settings_base import split_list
from flightpipe.quality.settings import QualitySettings
from flightpipe.reference.airports import DEFAULT_AIRPORTS, ICAO_CODE, is_known_icao
from flightpipe.report.scope import ReportScope
from flightpipe.sources.settings import (
    API_NAMES,
    SOURCE_TYPES,
    SimulatedSourceSettings,
    SourceSettings,
    SourcesSettings,
)
from flightpipe.warehouse.settings import (
    WAREHOUSE_TYPES,
    DuckDBWarehouseSettings,
    WarehouseSettings,
    coerce_warehouse,
)

__all__ = ["SimulatedSourceSettings", "SourceSettings", "SourcesSettings", "Settings", "load_settings"]

from flightpipe.monitoring.settings import AlertsSettings, ScheduleSettings, reject_secrets_in_file

CONFIG_FILE_ENV = "FLIGHTPIPE_CONFIG"


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
    sources: SourcesSettings = Field(
        default_factory=SourcesSettings, description="One account per API: credentials, endpoint, limits, budget."
    )
    warehouse: Annotated[WarehouseSettings, NoDecode] = Field(default_factory=DuckDBWarehouseSettings)
    ledger_path: str | None = Field(default=None, description="SQLite run history; default <data_dir>/ledger.sqlite.")
    collect_workers: int = Field(default=4, ge=1, le=64, description="Boards collected in parallel.")
    transform_workers: int = Field(default=2, ge=1, le=64, description="Raw files transformed in parallel.")
    quality: QualitySettings = Field(
        default_factory=QualitySettings, description="Per rule: level, threshold, off (see docs/quality.md)."
    )

    alerts: AlertsSettings = Field(default_factory=AlertsSettings, description="Notifiers and alert thresholds.")
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings, description="`flightpipe schedule`.")

    @field_validator("airports", "boards", mode="before")
    @classmethod
    def _lists_from_text(cls, value: Any) -> Any:
        return split_list(value)

    @field_validator("warehouse", mode="before")
    @classmethod
    def _warehouse_from_url(cls, value: Any) -> Any:
        return coerce_warehouse(value)

    @field_validator("alerts", mode="before")
    @classmethod
    def _no_password_in_file(cls, value: Any) -> Any:
        reject_secrets_in_file(_config_file_in_use())
        return value

    @field_validator("data_dir")
    @classmethod
    def _data_dir_can_be_a_folder(cls, value: str) -> str:
        if "://" not in value:
            _folder_possible(Path(value), "the data folder")
        return value

    @field_validator("ledger_path")
    @classmethod
    def _ledger_path_can_be_a_file(cls, value: str | None) -> str | None:
        if value is not None and "://" not in value:
            _file_possible(Path(value), "the ledger (a SQLite file, e.g. flightpipe-data/ledger.sqlite)")
        return value

    @field_validator("warehouse")
    @classmethod
    def _warehouse_file_can_be_a_file(cls, value: WarehouseSettings) -> WarehouseSettings:
        path = getattr(value, "path", None)
        if value.type == "duckdb" and path:
            _file_possible(Path(path), "the warehouse (a DuckDB file)")
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

    def paths(self) -> DataPaths:
        """The data folder and state files, for the packages below the configuration."""
        return DataPaths(self.data_dir, self.ledger_path)

    def report_scope(self) -> ReportScope:
        """What the report covers: the configured airports and boards, read and written beside the data."""
        return ReportScope(tuple(self.airports), tuple(str(board) for board in self.boards), self.paths())

    def local_data_dir(self) -> Path | None:
        return self.paths().local_data_dir

    def resolved_ledger_path(self) -> Path:
        return self.paths().ledger

    def resolved_warehouse_path(self) -> Path:
        if not isinstance(self.warehouse, DuckDBWarehouseSettings):
            raise ConfigError(f"warehouse.type is {self.warehouse.type!r}: there is no local warehouse file")
        if self.warehouse.path:
            return Path(self.warehouse.path)
        return self.paths().default_warehouse_file()

    def lock_dir(self) -> Path:
        return self.paths().lock_dir


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
            parsed = tomllib.loads(toml_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{toml_file} is not valid TOML: {exc}") from exc
        except OSError as exc:
            raise ConfigError(f"cannot read config file {toml_file}: {exc}") from exc
        _reject_secrets_in_file(parsed, toml_file)
    _reject_unknown_environment_keys()
    previous = _config_file_override
    _config_file_override = config_file
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, toml_file)) from None
    finally:
        _config_file_override = previous
    if toml_file is not None:
        settings = _paths_beside_config_file(settings, parsed, toml_file)
    _register_secrets(settings)
    return settings


def _beside(value: str, folder: Path) -> str:
    return value if "://" in value or Path(value).is_absolute() else str(folder / value)


def _paths_beside_config_file(settings: Settings, parsed: dict[str, Any], toml_file: Path) -> Settings:
    """A relative path written in the config file is relative to the file's folder, not to where the command
    runs (a path from the environment or a flag stays relative to the current folder)."""
    folder = toml_file.parent
    update: dict[str, Any] = {}
    for key in ("data_dir", "ledger_path"):
        written = parsed.get(key)
        if isinstance(written, str) and getattr(settings, key) == written:
            update[key] = _beside(written, folder)
    section = parsed.get("warehouse")
    written = section.get("path") if isinstance(section, dict) else None
    warehouse = settings.warehouse
    if isinstance(written, str) and isinstance(warehouse, DuckDBWarehouseSettings) and warehouse.path == written:
        update["warehouse"] = warehouse.model_copy(update={"path": _beside(written, folder)})
    return settings.model_copy(update=update) if update else settings


def _reject_secrets_in_file(parsed: dict[str, Any], toml_file: Path) -> None:
    """Credentials come from the environment or Secrets Manager, never from a file that lives in the repo."""
    sources = parsed.get("sources")
    if not isinstance(sources, dict):
        return
    for name in API_NAMES:
        section = sources.get(name)
        if not isinstance(section, dict):
            continue
        model = type(SourcesSettings().by_name(name))
        for field in model.SECRET_FIELDS:
            if field in section:
                raise ConfigError(
                    f"{toml_file}: sources.{name}.{field} is a secret and must not be written in a config file; "
                    f"set FLIGHTPIPE__SOURCES__{name.upper()}__{field.upper()} in the environment, or "
                    f"sources.{name}.secret_arn to read it from AWS Secrets Manager"
                )


def _register_secrets(settings: Settings) -> None:
    # Every configured credential is masked wherever it might appear later (logs, raw files, errors, ledger).
    for name in API_NAMES:
        for value in settings.sources.by_name(name).credential_fields().values():
            register_secret(value)


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


def _folder_possible(path: Path, what: str) -> None:
    """``path`` is a folder or can become one: neither it nor a folder above it is a file (caught here, not by
    a traceback once collect, transform and process have run)."""
    if path.exists() and not path.is_dir():
        raise ValueError(f"{path} is a file; {what} must be a folder (or not exist yet)")
    _no_file_above(path, what)


def _file_possible(path: Path, what: str) -> None:
    if path.is_dir():
        raise ValueError(f"{path} is a folder; {what} needs a file path in it, e.g. {path / 'name'}")
    _no_file_above(path, what)


def _no_file_above(path: Path, what: str) -> None:
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"{parent} is a file, so {path} cannot be created under it for {what}")
            return


def format_validation_error(exc: ValidationError, toml_file: Path | None) -> str:
    where = ", ".join(([str(toml_file)] if toml_file else []) + ["FLIGHTPIPE__... environment", "command-line flags"])
    lines = [f"invalid configuration (from {where}):"]
    for error in exc.errors():
        loc = _without_union_tags(error["loc"])
        key = ".".join(str(part) for part in loc) or "(root)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            allowed = _allowed_keys(error["loc"])
            message = f"unknown key; allowed here: {', '.join(allowed)}"
        elif error["type"] == "literal_error":
            message = f"{message} (got {error.get('input')!r})"
        elif error["type"] in {"union_tag_invalid", "union_tag_not_found"}:
            union = str(loc[0]) if loc else ""
            kinds = list(SOURCE_TYPES) if union == "source" else list(WAREHOUSE_TYPES)
            loc = (*loc, "type")
            key = ".".join(str(part) for part in loc)
            given = error.get("input")
            got = given.get("type") if isinstance(given, dict) else (error.get("ctx") or {}).get("tag")
            if union == "warehouse":
                message = f"must be one of {', '.join(kinds)} (got {got!r})"
            else:
                message = f"{got!r} is not a {union} type; allowed: {', '.join(kinds)}"
        env_name = "FLIGHTPIPE__" + "__".join(str(p).upper() for p in loc if not isinstance(p, int))
        lines.append(f"  {key}: {message}  [env: {env_name}]")
    return "\n".join(lines)


def _without_union_tags(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # pydantic puts a discriminated union's tag in the location (`source.simulated.seed`,
    # `warehouse.postgres.port`); users write `source.seed` and `warehouse.port`.
    if len(loc) > 1 and (
        (loc[0] == "source" and loc[1] in SOURCE_TYPES) or (loc[0] == "warehouse" and loc[1] in WAREHOUSE_TYPES)
    ):
        return (loc[0], *loc[2:])
    return loc


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] = Settings
    parts = list(loc[:-1])
    # Inside a discriminated union the path goes on from the chosen member's model.
    if len(parts) > 1 and parts[0] == "source" and parts[1] in SOURCE_TYPES:
        model, parts = SOURCE_TYPES[parts[1]], parts[2:]
    elif len(parts) > 1 and parts[0] == "warehouse" and parts[1] in WAREHOUSE_TYPES:
        from flightpipe.warehouse.settings import settings_model

        model, parts = settings_model(str(parts[1])), parts[2:]
    for part in parts:
        field = model.model_fields.get(str(part))
        if field is None or not isinstance(field.annotation, type) or not issubclass(field.annotation, BaseModel):
            break
        model = field.annotation
    return sorted(model.model_fields)
