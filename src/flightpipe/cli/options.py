"""Options several commands share (--config, --airports, --source, --data-dir, --allow-quality-failures), and
turning what the user typed into settings and dates.

Only typer and the standard library are imported here: ``flightpipe --help`` builds every command's options, and
the settings (pydantic, pyarrow through the quality rules) load only when a command runs.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flightpipe.core.clock import collection_day, utc_now
from flightpipe.core.errors import ConfigError
from flightpipe.core.paths import DEFAULT_CONFIG_FILE

if TYPE_CHECKING:
    from flightpipe.config import Settings


ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help=f"Config file (default: ./{DEFAULT_CONFIG_FILE} if present).")
]
AirportsOption = Annotated[
    str | None, typer.Option("--airports", help="Comma-separated ICAO codes, e.g. EDDF,EDDM (default: config).")
]
SourceOption = Annotated[
    str | None,
    # The registered sources are not named here: listing them would import every source at start-up, and a new
    # source needs no CLI edit. A wrong name is a config error that lists them (from the registry).
    typer.Option("--source", help="Source type, one of those `flightpipe sources` lists (default: config)."),
]
DataDirOption = Annotated[str | None, typer.Option("--data-dir", help="Data folder or s3:// URL (default: config).")]
AllowQualityOption = Annotated[
    bool,
    typer.Option(
        "--allow-quality-failures",
        help="Load what the quality gate would hold, for this run only; the override is recorded in the ledger.",
    ),
]


def load(
    config: Path | None, airports: str | None = None, source: str | None = None, data_dir: str | None = None
) -> Settings:
    """The settings of ``config`` (or the default file and the environment), with the flags given on top."""
    from flightpipe.config import load_settings

    overrides: dict[str, Any] = {"airports": airports, "data_dir": data_dir}
    if source is not None:
        base = load_settings(config)
        # Keep the configured source's options only when --source names the same type (a union member each).
        overrides["source"] = (
            {**base.source.model_dump(), "type": source} if base.source.type == source else _source_alone(source)
        )
    return load_settings(config, **overrides)


def _source_alone(source: str) -> Any:
    """Settings of source type ``source`` with its defaults, as an object: the settings merge a dict with the
    file's ``[source]`` table key by key, so the simulated source's ``seed`` would reach aviationstack as an
    unknown key. An unknown type stays a dict, for the settings to name the types there are."""
    from pydantic import TypeAdapter, ValidationError

    from flightpipe.config import SourceSettings

    try:
        return TypeAdapter(SourceSettings).validate_python({"type": source})
    except ValidationError:
        return {"type": source}


def missing_data_folder(settings: Settings) -> Path | None:
    """The configured local data folder when it does not exist yet (a reading command must not create it)."""
    folder = settings.local_data_dir()
    return folder if folder is not None and not folder.exists() else None


def parse_date(value: str | None, option: str) -> dt.date | None:
    """``value`` as a date, None when not given; ``option`` names the flag in the error."""
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{option} must be an ISO date (YYYY-MM-DD), got {value!r}") from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        # Far dates overflow the date arithmetic of the collection window (a day's boards span four days).
        raise ConfigError(f"{option} must lie between {EARLIEST_DATE} and {LATEST_DATE}, got {value}")
    return day


#: The dates a command accepts: no flight-data API reaches back further, and the window arithmetic stays safe.
EARLIEST_DATE = dt.date(1970, 1, 1)
LATEST_DATE = dt.date(9000, 12, 31)


def parse_required_date(value: str, option: str) -> dt.date:
    day = parse_date(value, option)
    assert day is not None  # a str in, a date out (or ConfigError)
    return day


def yesterday() -> dt.date:
    """The default collection date: yesterday in UTC."""
    return collection_day(utc_now())


def check_not_future(day: dt.date, option: str) -> None:
    today = utc_now().date()
    if day > today:
        raise ConfigError(f"{option} {day.isoformat()} is in the future (today is {today.isoformat()} UTC)")


#: The app's own options (``flightpipe --log-level X run``), also accepted after the subcommand: those that take a
#: value, and the flags.
GLOBAL_VALUE_OPTIONS = ("--log-level", "--log-format")
GLOBAL_FLAGS = ("-v", "-vv", "--verbose", "--version")


def hoist_global_options(argv: list[str]) -> list[str]:
    """``argv`` with the global options moved before the subcommand, so ``run --log-level WARNING`` works as
    ``--log-level WARNING run`` (click only takes a group's options before its subcommand). Nothing after
    ``--`` moves, and a value that merely looks like an option (the query of ``sql``) is one argument, not split."""
    hoisted: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--":
            rest.extend(argv[index:])
            break
        if arg in GLOBAL_FLAGS or arg.split("=", 1)[0] in GLOBAL_VALUE_OPTIONS and "=" in arg:
            hoisted.append(arg)
        elif arg in GLOBAL_VALUE_OPTIONS and index + 1 < len(argv):
            hoisted.extend(argv[index : index + 2])
            index += 1
        else:
            rest.append(arg)
        index += 1
    return hoisted + rest


def log_level(explicit: str | None, verbose: int, *, terminal: bool, json_logs: bool) -> str:
    """The level flightpipe logs at: ``--log-level`` (or its variable) when given; else ``-v`` INFO, ``-vv`` DEBUG;
    else WARNING for text on a terminal (the progress display tells the rest) and INFO for JSON lines, which a
    log collector reads."""
    if explicit is not None:
        return explicit.upper()
    if verbose:
        return "INFO" if verbose == 1 else "DEBUG"
    return "WARNING" if terminal and not json_logs else "INFO"


def _flags_without_a_type(self: Any, ctx: Any) -> str | None:
    # typer's help puts a type after every option, flags too (`--force <bool>`); a flag takes no value.
    if getattr(self, "is_flag", False):
        return None
    return _typed_option(self, ctx)


_typed_option = typer.core.TyperOption.display_type_rich
typer.core.TyperOption.display_type_rich = _flags_without_a_type  # type: ignore[method-assign]
