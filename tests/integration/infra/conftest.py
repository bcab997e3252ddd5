"""The CDK app synthesised once (per session and worker; tests/conftest.py keeps this folder on one worker): the
template tests and the template's executions share it."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "infra"))

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

from flightpipe_infra.packaging import Assets  # noqa: E402

#: Two stages in one app: prod (the template most tests read) and dev, whose names must not collide with prod's.
CONTEXT = {
    "flightpipe:stages": {"prod": {"alert_email": "ops@example.com"}, "dev": {"no_alert_email": "tests"}},
    "flightpipe:schedule_cron": "30 3 * * ? *",
}


def fake_assets(root: Path) -> Assets:
    assets = Assets.at(root)
    (assets.function_code / "flightpipe").mkdir(parents=True)
    (assets.function_code / "flightpipe" / "__init__.py").write_text("")
    for layer in assets.layers.values():
        (layer / "python").mkdir(parents=True)
        (layer / "python" / "placeholder.py").write_text("")
    assets.glue_script.parent.mkdir(parents=True, exist_ok=True)
    assets.glue_script.write_text("print('glue')\n")
    assets.glue_wheel.write_bytes(b"wheel")
    return assets


def require_node() -> None:
    if shutil.which("node") is None:
        message = "the CDK synthesises through Node.js (apt-get install -y nodejs; `make test` does it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def synthesised_stages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, Path]]:
    """Each stage's stack and template file, of one synth."""
    require_node()
    from app import build_app, stack_id

    root = tmp_path_factory.mktemp("infra")
    app = build_app(fake_assets(root / "build"), outdir=str(root / "cdk.out"), context=CONTEXT)
    assembly = app.synth()  # raises on any cdk-nag finding that is not acknowledged
    return {
        stage: (app.node.find_child(stack_id(stage)), Path(assembly.directory) / f"{stack_id(stage)}.template.json")
        for stage in ("prod", "dev")
    }


@pytest.fixture(scope="session")
def synthesised(synthesised_stages: dict[str, tuple[Any, Path]]) -> tuple[Any, Any, Path]:
    """The prod stage: its stack, its assertions Template and its template file."""
    from aws_cdk.assertions import Template

    stack, template_file = synthesised_stages["prod"]
    return stack, Template.from_stack(stack), template_file
