"""Docker-free packaging: Lambda layers from manylinux wheels, the function code, the Glue script and wheel.

    python -m flightpipe_infra.packaging [--out infra/build]

pip downloads wheels built for the Lambda platform (``--platform manylinux2014_x86_64 --only-binary=:all:
--python-version 3.12``) into layer folders, so nothing is compiled and no container is needed. Everything
flightpipe's handlers import does not fit Lambda's 250 MB (function plus layers, unzipped): pyarrow alone is
140 MB, DuckDB 61 MB, numpy 71 MB. So:

* the ``core`` layer has the pure-Python dependencies (pydantic, httpx, s3fs with the botocore it pins and the
  boto3 resolved with it, powertools, sqlglot, ...) and serves every function;
* the ``arrow`` layer has pyarrow (without Flight, Substrait, tests and headers, which nothing imports) and
  numpy; every function gets it (even plan and notify import pyarrow, through the configuration's quality
  rules), so the split keeps the two layers' caches apart rather than making any function smaller;
* DuckDB is on no Lambda: it runs the process SQL, which on AWS is the Glue job's work (the process stage
  imports it only when it runs).

The sizes are measured after every build and checked against the limit (``sizes.json``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "infra" / "build"
LAMBDA_PYTHON = "3.14"
LAMBDA_PLATFORM = "manylinux2014_x86_64"
#: Also accepted: Lambda's Python 3.12+ runtimes run on Amazon Linux 2023 (glibc 2.34), and some wheels for new
#: Pythons (numpy, pyarrow on 3.14) are published for manylinux_2_28 only.
EXTRA_PLATFORMS = ["manylinux_2_28_x86_64"]
#: Lambda's limit for a function and all its layers, unzipped.
LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024

CORE_REQUIREMENTS = [
    "httpx>=0.27",
    "tenacity>=8.2",
    "pydantic>=2.7",
    "pydantic-settings>=2.3",
    "typer>=0.12",
    "rich>=13.7",
    "fsspec>=2024.6",
    "s3fs>=2024.6",
    # s3fs (aiobotocore) pins botocore, which pip puts in this layer, ahead of the runtime's on sys.path: boto3
    # comes along so the two are a pair pip resolved together, never the runtime's boto3 on another botocore.
    "boto3>=1.34",
    "airportsdata>=20240316",
    "croniter>=2.0",
    "jinja2>=3.1",
    "filelock>=3.13",
    "sqlglot>=25",
    "aws-lambda-powertools>=3.0",
    "aws-xray-sdk>=2.12",
]
ARROW_REQUIREMENTS = ["pyarrow>=16", "numpy>=1.26"]

#: Parts of pyarrow nothing in flightpipe imports (Flight RPC, Substrait, its test-suite, C++ headers).
ARROW_PRUNE = [
    "pyarrow/libarrow_flight.so*",
    "pyarrow/_flight*.so",
    "pyarrow/libarrow_python_flight.so*",
    "pyarrow/libarrow_substrait.so*",
    "pyarrow/_substrait*.so",
    "pyarrow/tests",
    "pyarrow/include",
    "pyarrow/src",
    "pyarrow/*.pyx",
    "pyarrow/*.pxd",
    "pyarrow/includes",
    "numpy/_core/tests",
    "numpy/*/tests",
    "numpy/_core/include",
]

#: Which layers each function gets (its own code is flightpipe itself). Every one needs pyarrow: plan and
#: notify read the configuration, whose quality section is built from the rule declarations, and those import
#: pyarrow (tests/integration/infra/test_infra_stack.py imports each handler with only its layers' packages importable).
FUNCTION_LAYERS = {
    "plan": ["core", "arrow"],
    "collect": ["core", "arrow"],
    "transform": ["core", "arrow"],
    "verify": ["core", "arrow"],
    "load": ["core", "arrow"],
    "notify": ["core", "arrow"],
}


@dataclass(frozen=True)
class Assets:
    """Folders and files the stack turns into CDK assets."""

    function_code: Path
    layers: dict[str, Path]
    glue_script: Path
    glue_wheel: Path

    @classmethod
    def at(cls, out: Path) -> Assets:
        wheels = sorted((out / "glue").glob("flightpipe-*.whl"))
        return cls(
            function_code=out / "function",
            layers={name: out / "layers" / name for name in ("core", "arrow")},
            glue_script=out / "glue" / "glue_job.py",
            glue_wheel=wheels[-1] if wheels else out / "glue" / "flightpipe-0.1.0-py3-none-any.whl",
        )

    def missing(self) -> list[Path]:
        paths = [self.function_code, *self.layers.values(), self.glue_script, self.glue_wheel]
        return [p for p in paths if not p.exists()]


def tree_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def function_sizes(assets: Assets) -> dict[str, int]:
    code = tree_size(assets.function_code)
    layer_sizes = {name: tree_size(path) for name, path in assets.layers.items()}
    return {fn: code + sum(layer_sizes[layer] for layer in layers) for fn, layers in FUNCTION_LAYERS.items()}


def over_limit(sizes: dict[str, int], limit: int = LAMBDA_UNZIPPED_LIMIT_BYTES) -> list[str]:
    """Functions whose code plus layers exceed Lambda's unzipped limit, in words."""
    return [
        f"{name}: {size / 2**20:.1f} MB unzipped, over Lambda's {limit / 2**20:.0f} MB"
        for name, size in sorted(sizes.items())
        if size > limit
    ]


def prune(root: Path, patterns: Iterable[str]) -> None:
    for pattern in patterns:
        for path in root.glob(pattern):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    for cache in root.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)


def _pip_target(target: Path, requirements: list[str], *, no_deps: bool = False) -> None:
    target.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--platform", LAMBDA_PLATFORM, *(a for p in EXTRA_PLATFORMS for a in ("--platform", p)),
        "--only-binary=:all:", "--python-version", LAMBDA_PYTHON,
        "--implementation", "cp", "--target", str(target), "--upgrade",
        *(["--no-deps"] if no_deps else []), *requirements,
    ]  # fmt: skip
    subprocess.run(command, check=True)


def layer_stamp() -> str:
    """What the layers are built from; unchanged, they are reused (so a rebuild of the code needs no network)."""
    return json.dumps(
        {
            "core": CORE_REQUIREMENTS,
            "arrow": ARROW_REQUIREMENTS,
            "prune": ARROW_PRUNE,
            "python": LAMBDA_PYTHON,
            "platforms": [LAMBDA_PLATFORM, *EXTRA_PLATFORMS],
        },
        sort_keys=True,
    )


def wheel_command(wheel_dir: Path) -> list[str]:
    """pip's command for flightpipe's wheel. No build isolation: pip would fetch hatchling into a fresh
    environment from the index, so every change to src/ needed the network; the infra extra installs hatchling
    beside the CDK instead, and the wheel builds offline."""
    return [
        sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps",
        "--no-build-isolation", "--wheel-dir", str(wheel_dir), str(REPO),
    ]  # fmt: skip


def build_wheel(wheel_dir: Path) -> None:
    if importlib.util.find_spec("hatchling") is None:
        raise SystemExit("building the Glue wheel offline needs hatchling beside the CDK: pip install -e '.[infra]'")
    subprocess.run(wheel_command(wheel_dir), check=True)


def build(out: Path = DEFAULT_OUT) -> Assets:
    assets = Assets.at(out)
    stamp = out / "layers" / "stamp.json"
    if not (stamp.exists() and stamp.read_text() == layer_stamp()):
        shutil.rmtree(out / "layers", ignore_errors=True)
        # Layers put packages under python/, which Lambda adds to sys.path.
        _pip_target(assets.layers["core"] / "python", CORE_REQUIREMENTS)
        _pip_target(assets.layers["arrow"] / "python", ARROW_REQUIREMENTS, no_deps=True)
        prune(assets.layers["arrow"] / "python", ARROW_PRUNE)
        prune(assets.layers["core"] / "python", [])
        stamp.write_text(layer_stamp())
    for stale in (out / "function", out / "glue"):
        shutil.rmtree(stale, ignore_errors=True)
    shutil.copytree(
        REPO / "src" / "flightpipe", assets.function_code / "flightpipe", ignore=shutil.ignore_patterns("__pycache__")
    )
    glue = out / "glue"
    glue.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "src" / "flightpipe" / "aws" / "glue_job.py", glue / "glue_job.py")
    from flightpipe_infra import spark_sql  # imports flightpipe and sqlglot: only when building

    spark_sql.write()  # the wheel carries the Spark SQL of today's process.sql
    build_wheel(glue)
    assets = Assets.at(out)
    sizes = function_sizes(assets)
    (out / "sizes.json").write_text(json.dumps({k: round(v / 2**20, 1) for k, v in sizes.items()}, indent=2))
    problems = over_limit(sizes)
    if problems:
        raise SystemExit("Lambda packages too large:\n  " + "\n  ".join(problems))
    return assets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    out = parser.parse_args().out
    build(out)
    print((out / "sizes.json").read_text())


if __name__ == "__main__":
    main()
