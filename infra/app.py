"""The flightpipe CDK app: ``cdk deploy Flightpipe-<stage>`` (or ``make synth`` to build the templates offline).

One stack per stage of ``flightpipe:stages`` (cdk.json), named ``Flightpipe-<stage>``. Run as ``python app.py``
(``make synth``) it reads cdk.json's context itself, as the CDK CLI does.

Assets come from ``python -m flightpipe_infra.packaging`` (infra/build/); cdk-nag's AwsSolutions checks run
on every synth and fail it on any finding that is not acknowledged with a reason (flightpipe_infra/nag.py).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

sys.path.insert(0, str(Path(__file__).resolve().parent))

from flightpipe_infra.packaging import DEFAULT_OUT, Assets  # noqa: E402
from flightpipe_infra.settings import StackSettings  # noqa: E402
from flightpipe_infra.stack import FlightpipeStack  # noqa: E402


def build_app(assets: Assets, outdir: str | None = None, context: dict[str, object] | None = None) -> cdk.App:
    # Access-log delivery through a bucket policy, not the legacy ACL (cfn-lint W3045).
    flags = {"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True}
    app = cdk.App(outdir=outdir, context={**flags, **(context or {})})
    env = cdk.Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION", "eu-central-1")
    )
    for settings in StackSettings.stages(app.node.try_get_context):
        FlightpipeStack(app, stack_id(settings.stage), settings=settings, assets=assets, env=env)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks())
    return app


def stack_id(stage: str) -> str:
    """The stack's id and CloudFormation name: ``cdk deploy Flightpipe-prod``, ``cdk destroy Flightpipe-dev``."""
    return f"Flightpipe-{stage}"


def cdk_json_context() -> dict[str, object]:
    """cdk.json's context, unless the CDK CLI already passed it (CDK_CONTEXT_JSON)."""
    if "CDK_CONTEXT_JSON" in os.environ:
        return {}
    context: dict[str, object] = json.loads((Path(__file__).resolve().parent / "cdk.json").read_text())["context"]
    return context


def main() -> None:
    assets = Assets.at(Path(os.environ.get("FLIGHTPIPE_ASSETS", DEFAULT_OUT)))
    missing = assets.missing()
    if missing:
        raise SystemExit(
            "missing assets: " + ", ".join(map(str, missing)) + "\nbuild them with: make package (no Docker needed)"
        )
    build_app(assets, context=cdk_json_context()).synth()


if __name__ == "__main__":
    main()
