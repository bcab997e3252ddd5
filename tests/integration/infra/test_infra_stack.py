"""The CDK stack: synthesised offline (cdk-nag AwsSolutions on), checked resource by resource, linted.

Synth takes ~15 s through Node, so one app (conftest.py, per session) serves every template test (marked slow). The
Lambda and Glue assets are small stand-ins here; `make package` builds the real ones (sizes checked there).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "infra"))

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

from flightpipe_infra.packaging import (  # noqa: E402
    ARROW_PRUNE,
    ARROW_REQUIREMENTS,
    CORE_REQUIREMENTS,
    FUNCTION_LAYERS,
    LAMBDA_UNZIPPED_LIMIT_BYTES,
    function_sizes,
    over_limit,
    prune,
    wheel_command,
)
from flightpipe_infra.settings import ContextError, StackSettings  # noqa: E402

from tests.helpers.cfn_tokens import resolved, template_definition  # noqa: E402
from tests.integration.infra.conftest import CONTEXT, fake_assets, require_node  # noqa: E402


def joined(value: Any) -> str:
    """A template string, Fn::Join parts joined and each Ref written as <LogicalId>."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>"
    separator, parts = value["Fn::Join"]
    return str(separator).join(joined(part) for part in parts)


def _template(synthesised: tuple[Any, Any, Path]) -> Any:
    return synthesised[1]


def _resources(synthesised: tuple[Any, Any, Path], kind: str) -> dict[str, Any]:
    return _template(synthesised).find_resources(kind)


def _role_statements(synthesised: tuple[Any, Any, Path], role: Any) -> list[dict[str, Any]]:
    """Every statement of the inline policies attached to ``role``."""
    role_id = synthesised[0].get_logical_id(role.node.default_child)
    return [
        statement
        for policy in _resources(synthesised, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


@pytest.mark.slow
def test_synth_passes_cdk_nag_and_cfn_lint(synthesised: tuple[Any, Any, Path]) -> None:
    template_file = synthesised[2]
    report = template_file.parent / "validation-report.json"
    if report.exists():
        violations = json.loads(report.read_text())["pluginReports"][0].get("violations", [])
        assert violations == []
    lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or "cfn-lint"
    result = subprocess.run(
        [lint, "--ignore-checks", "W3005", "--", str(template_file)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_the_bucket_is_encrypted_private_tls_only_with_lifecycle_rules_per_layer(
    synthesised: tuple[Any, Any, Path],
) -> None:
    from aws_cdk.assertions import Match

    template = _template(synthesised)
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "VersioningConfiguration": {"Status": "Enabled"},
            "LoggingConfiguration": Match.object_like({"LogFilePrefix": "data-bucket/"}),
        },
    )
    buckets = _resources(synthesised, "AWS::S3::Bucket")
    data = next(b for b in buckets.values() if "LoggingConfiguration" in b["Properties"])
    rules = {r["Id"]: r for r in data["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert {r.get("Prefix") for r in rules.values()} == {
        "raw/",
        "transformed/",
        "processed/all_data/",
        "quarantine/",
        None,
    }
    assert [t["StorageClass"] for t in rules["raw-to-cold"]["Transitions"]] == ["STANDARD_IA", "GLACIER_IR"]
    assert rules["quarantine-expiry"]["ExpirationInDays"] == 365
    for policy in _resources(synthesised, "AWS::S3::BucketPolicy").values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
        )


@pytest.mark.slow
def test_raw_json_objects_notify_the_transform_function(synthesised: tuple[Any, Any, Path]) -> None:
    (notification,) = _resources(synthesised, "Custom::S3BucketNotifications").values()
    (config,) = notification["Properties"]["NotificationConfiguration"]["LambdaFunctionConfigurations"]
    assert config["Events"] == ["s3:ObjectCreated:*"]
    assert config["Filter"]["Key"]["FilterRules"] == [
        {"Name": "suffix", "Value": ".json"},
        {"Name": "prefix", "Value": "raw/"},
    ]
    assert config["LambdaFunctionArn"]["Fn::GetAtt"][0].startswith("TransformFunction")


@pytest.mark.slow
def test_six_functions_call_flightpipe_handlers_with_tracing_and_their_layers(
    synthesised: tuple[Any, Any, Path],
) -> None:
    functions = {
        f["Properties"]["Handler"]: f["Properties"]
        for f in _resources(synthesised, "AWS::Lambda::Function").values()
        if f["Properties"].get("Handler", "").startswith("flightpipe.")
    }
    assert set(functions) == {
        f"flightpipe.aws.handlers.{n}.handler" for n in ("plan", "collect", "transform", "verify", "load", "notify")
    }
    for handler, props in functions.items():
        assert props["Runtime"] == "python3.14"
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert props["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"] == "flightpipe"
        assert len(props["Layers"]) == 2, handler
    collect = functions["flightpipe.aws.handlers.collect.handler"]["Environment"]["Variables"]
    assert "Ref" in collect["FLIGHTPIPE__SOURCES__AVIATIONSTACK__SECRET_ARN"]
    assert collect["FLIGHTPIPE__AIRPORTS"] == "EDDB,EDDM,EDDH,EDDL,EDDF"
    layers = [
        layer["Properties"]["Description"] for layer in _resources(synthesised, "AWS::Lambda::LayerVersion").values()
    ]
    # flightpipe's two, and the AWS CLI layer of CDK's BucketDeployment helper (the Glue code to glue/)
    assert sorted(layers) == [
        "/opt/awscli/aws",
        "flightpipe dependencies (arrow), from manylinux wheels",
        "flightpipe dependencies (core), from manylinux wheels",
    ]


@pytest.mark.slow
def test_glue_job_database_tables_and_crawlers(synthesised: tuple[Any, Any, Path]) -> None:
    (job,) = _resources(synthesised, "AWS::Glue::Job").values()
    props = job["Properties"]
    assert (props["GlueVersion"], props["Command"]["Name"], props["Command"]["PythonVersion"]) == (
        "5.0",
        "glueetl",
        "3",
    )
    arguments = props["DefaultArguments"]
    modules = joined(arguments["--additional-python-modules"]).split(",")
    assert len(modules) == 1  # the wheel (next test) alone: nothing from PyPI
    assert arguments["--python-modules-installer-option"] == "--no-deps"
    assert (arguments["--database"], arguments["--table"]) == ("flightpipe_prod", "processed")
    assert props["SecurityConfiguration"] == "flightpipe-prod"
    tables = {
        t["Properties"]["TableInput"]["Name"]: t["Properties"]["TableInput"]
        for t in _resources(synthesised, "AWS::Glue::Table").values()
    }
    assert set(tables) == {"processed", "transformed"}
    assert tables["processed"]["PartitionKeys"] == [{"Name": "partition_date", "Type": "string"}]
    columns = {c["Name"]: c["Type"] for c in tables["processed"]["StorageDescriptor"]["Columns"]}
    assert columns["codeshare_flight_iatas"] == "array<string>" and columns["dep_scheduled_utc"] == "timestamp"
    assert tables["transformed"]["Parameters"]["projection.enabled"] == "true"
    crawlers = [c["Properties"] for c in _resources(synthesised, "AWS::Glue::Crawler").values()]
    assert sorted(c["Name"] for c in crawlers) == [
        "flightpipe-prod-processed", "flightpipe-prod-raw", "flightpipe-prod-transformed",
    ]  # fmt: skip
    assert all("Schedule" not in c and c["TablePrefix"].startswith("crawled_") for c in crawlers)
    assert len(_resources(synthesised, "AWS::Glue::Database")) == 1


#: PEP 427: {distribution}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl
WHEEL_FILENAME = re.compile(
    r"(?P<name>[A-Za-z0-9_.]+)-(?P<version>[A-Za-z0-9_.!+]+)(-\d[^-]*)?-(?P<tags>[^-]+-[^-]+-[^-]+)\.whl"
)


@pytest.mark.slow
def test_glue_installs_the_flightpipe_wheel_by_its_wheel_filename_from_the_glue_prefix_the_stack_deploys(
    synthesised: tuple[Any, Any, Path],
) -> None:
    stack, _, template_file = synthesised
    data = stack.get_logical_id(stack.bucket.node.default_child)
    (job,) = _resources(synthesised, "AWS::Glue::Job").values()
    arguments = job["Properties"]["DefaultArguments"]
    # The wheel alone: nothing comes from PyPI at run time (the Spark SQL was transpiled at build time).
    (wheel_url,) = joined(arguments["--additional-python-modules"]).split(",")
    prefix, _, filename = wheel_url.rpartition("/")
    assert prefix == f"s3://<{data}>/glue"
    wheel = WHEEL_FILENAME.fullmatch(filename)
    assert wheel is not None, filename
    assert (wheel["name"], wheel["tags"]) == ("flightpipe", "py3-none-any")
    assert joined(job["Properties"]["Command"]["ScriptLocation"]) == f"s3://<{data}>/glue/glue_job.py"
    deployments = _resources(synthesised, "Custom::CDKBucketDeployment")
    (name, deployment) = next(iter(deployments.items()))
    props = deployment["Properties"]
    assert (props["DestinationBucketName"], props["DestinationBucketKeyPrefix"]) == ({"Ref": data}, "glue/")
    (source_zip,) = props["SourceObjectKeys"]
    staged = template_file.parent / f"asset.{source_zip.removesuffix('.zip')}"
    assert sorted(p.name for p in staged.iterdir()) == ["flightpipe-0.1.0-py3-none-any.whl", "glue_job.py"]
    assert filename == "flightpipe-0.1.0-py3-none-any.whl"
    assert name in job["DependsOn"]  # the job is created (and run) only once its code is in the bucket


@pytest.mark.slow
def test_redshift_may_reach_s3_over_https_only(synthesised: tuple[Any, Any, Path]) -> None:
    # The S3 gateway endpoint routes to S3's public addresses, not to the VPC range.
    (group,) = _resources(synthesised, "AWS::EC2::SecurityGroup").values()
    assert group["Properties"]["SecurityGroupEgress"] == [
        {
            "CidrIp": "0.0.0.0/0",
            "Description": "HTTPS to S3 (gateway endpoint) for COPY",
            "FromPort": 443,
            "IpProtocol": "tcp",
            "ToPort": 443,
        }
    ]
    assert _resources(synthesised, "AWS::EC2::SecurityGroupEgress") == {}


@pytest.mark.slow
def test_roles_that_check_whether_objects_exist_may_list_the_bucket_without_a_prefix_condition(
    synthesised: tuple[Any, Any, Path],
) -> None:
    # Without ListBucket, S3 answers a HEAD of a missing object 403, not 404 (and a HEAD has no s3:prefix).
    stack = synthesised[0]
    data = stack.get_logical_id(stack.bucket.node.default_child)
    roles = {name: stack.functions[name].role for name in ("transform", "verify", "load")} | {"glue": stack.glue_role}
    for name, role in roles.items():
        statements = [s for s in _role_statements(synthesised, role) if s["Action"] == "s3:ListBucket"]
        assert statements == [
            {"Action": "s3:ListBucket", "Effect": "Allow", "Resource": {"Fn::GetAtt": [data, "Arn"]}}
        ], name


@pytest.mark.slow
def test_the_glue_role_may_create_update_and_remove_the_partitions_the_job_manages(
    synthesised: tuple[Any, Any, Path],
) -> None:
    actions = {
        action
        for statement in _role_statements(synthesised, synthesised[0].glue_role)
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert {"glue:BatchCreatePartition", "glue:UpdatePartition", "glue:BatchDeletePartition"} <= actions


@pytest.mark.slow
def test_redshift_serverless_in_its_own_vpc_with_a_copy_role(synthesised: tuple[Any, Any, Path]) -> None:
    from aws_cdk.assertions import Match

    template = _template(synthesised)
    template.has_resource_properties(
        "AWS::RedshiftServerless::Namespace",
        {
            "NamespaceName": "flightpipe-prod",
            "DbName": "flights",
            "ManageAdminPassword": True,
            "IamRoles": Match.any_value(),
        },
    )
    (workgroup,) = _resources(synthesised, "AWS::RedshiftServerless::Workgroup").values()
    assert workgroup["Properties"]["PubliclyAccessible"] is False
    assert len(workgroup["Properties"]["SubnetIds"]) == 3
    template.resource_count_is("AWS::EC2::VPC", 1)
    template.resource_count_is("AWS::EC2::FlowLog", 1)
    template.resource_count_is("AWS::EC2::NatGateway", 0)
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": Match.object_like(
                {"Statement": [Match.object_like({"Principal": {"Service": "redshift.amazonaws.com"}})]}
            )
        },
    )


@pytest.mark.slow
def test_the_templates_state_machine_is_the_python_definition_as_a_whole(synthesised: tuple[Any, Any, Path]) -> None:
    stack, _, template_file = synthesised
    in_template = template_definition(json.loads(template_file.read_text()))
    assert in_template == resolved(stack.definition, stack.resolve)
    # What Stack.to_json_string used to drop: the nulls that keep a state's input as its output.
    assert in_template["States"]["CollectBoards"]["ResultPath"] is None
    assert [n for n, s in in_template["States"].items() if "ResultPath" in s and s["ResultPath"] is None] == [
        "CollectBoards", "NotifySuccess", "NotifyPartial", "NotifyQualityFailure", "NotifyFailure",
    ]  # fmt: skip
    assert in_template["TimeoutSeconds"] == 180 * 60
    (machine,) = _resources(synthesised, "AWS::StepFunctions::StateMachine").values()
    assert machine["Properties"]["TracingConfiguration"] == {"Enabled": True}
    assert machine["Properties"]["LoggingConfiguration"]["Level"] == "ALL"


@pytest.mark.slow
def test_schedule_and_state_change_rules_go_to_the_topic_with_an_email_subscription(
    synthesised: tuple[Any, Any, Path],
) -> None:
    template = _template(synthesised)
    rules = [r["Properties"] for r in _resources(synthesised, "AWS::Events::Rule").values()]
    (schedule,) = [r for r in rules if "ScheduleExpression" in r]
    assert schedule["ScheduleExpression"] == "cron(30 3 * * ? *)"
    assert schedule["Targets"][0]["Arn"]["Ref"].startswith("StateMachine")
    sources = sorted(r["EventPattern"]["source"][0] for r in rules if "EventPattern" in r)
    assert sources == ["aws.states", "aws.states"]
    for rule in rules:
        if "EventPattern" in rule:
            assert rule["Targets"][0]["Arn"]["Ref"].startswith("Alerts")
    template.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@example.com"})
    (topic,) = _resources(synthesised, "AWS::SNS::Topic").values()
    assert "KmsMasterKeyId" in topic["Properties"]


@pytest.mark.slow
def test_eventbridge_mails_only_the_runs_notify_could_not_mail(synthesised: tuple[Any, Any, Path]) -> None:
    """A run that reaches a Notify state is mailed by notify; a failed Glue job or load statement is caught by the
    state machine and reaches NotifyFailure: EventBridge adds no second mail for them."""
    stack = synthesised[0]
    machine = stack.get_logical_id(stack.state_machine.node.default_child)
    details = sorted(
        (r["Properties"]["EventPattern"]["detail"] for r in _resources(synthesised, "AWS::Events::Rule").values()
         if "EventPattern" in r["Properties"]),
        key=lambda d: d["status"],
    )  # fmt: skip
    assert details == [
        {
            "status": ["FAILED"],
            "stateMachineArn": [{"Ref": machine}],
            "error": ["States.Runtime", "States.DataLimitExceeded", "NotificationFailed"],
        },
        {"status": ["TIMED_OUT", "ABORTED"], "stateMachineArn": [{"Ref": machine}]},
    ]


@pytest.mark.slow
def test_eventbridge_mails_are_text_in_the_local_alerts_wording(synthesised: tuple[Any, Any, Path]) -> None:
    targets = [
        r["Properties"]["Targets"][0]
        for r in _resources(synthesised, "AWS::Events::Rule").values()
        if "EventPattern" in r["Properties"]
    ]
    for target in targets:
        transformer = target["InputTransformer"]
        template = transformer["InputTemplate"]
        assert template.startswith('"flightpipe run <detail-name> ') and "What to do: " in template
        assert "event:    flightpipe.run.failed" in template and "stage:    prod" in template
        assert transformer["InputPathsMap"]["detail-executionArn"] == "$.detail.executionArn"


def emitted_dimensions(documents: list[dict[str, Any]]) -> set[tuple[str, frozenset[str]]]:
    """(metric, dimension names) of each embedded-metric-format document."""
    return {
        (metric["Name"], frozenset(dimensions))
        for d in documents
        for directive in d["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]
        for dimensions in directive["Dimensions"]
    }


@pytest.mark.slow
def test_every_dashboard_search_has_the_dimensions_the_stacks_functions_emit(
    synthesised: tuple[Any, Any, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from flightpipe.aws import glue_job
    from flightpipe.aws.handlers import collect, load, transform
    from flightpipe.aws.names import METRICS_NAMESPACE
    from flightpipe.core.store import ObjectStore

    (function, *_) = [
        f["Properties"]
        for f in _resources(synthesised, "AWS::Lambda::Function").values()
        if f["Properties"].get("Handler", "").startswith("flightpipe.")
    ]
    stack_env = {k: v for k, v in function["Environment"]["Variables"].items() if k.startswith("POWERTOOLS_")}
    assert "POWERTOOLS_SERVICE_NAME" in stack_env
    for key, value in {**stack_env, "POWERTOOLS_TRACE_DISABLED": "true"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("FLIGHTPIPE__DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FLIGHTPIPE__LEDGER_PATH", str(tmp_path / "ledger.sqlite"))
    monkeypatch.setenv("FLIGHTPIPE__SOURCE__TYPE", "simulated")
    monkeypatch.setenv("FLIGHTPIPE__AIRPORTS", "EDDF")
    capsys.readouterr()
    # Every per-airport metric, through the code that emits it on AWS.
    task = {"airport": "EDDF", "board": "departures", "day": "2026-06-08", "run_id": "r1"}
    collected = collect.collect_task({**task, "as_of": "2026-06-20T06:00:00Z"})
    transform.transform_keys(ObjectStore(str(tmp_path / "data")), [collected["raw_key"]])
    load.emit_rows_loaded({"EDDF": 3}, ["EDDF"])
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    emitted = emitted_dimensions(documents)

    class CloudWatch:
        def put_metric_data(self, Namespace: str, MetricData: list[dict[str, Any]]) -> None:  # noqa: N803
            assert Namespace == METRICS_NAMESPACE
            emitted.update((m["MetricName"], frozenset(d["Name"] for d in m["Dimensions"])) for m in MetricData)

    glue_job.put_rows_processed(CloudWatch(), {"EDDF": 5})
    (dashboard,) = _resources(synthesised, "AWS::CloudWatch::Dashboard").values()
    body = joined(dashboard["Properties"]["DashboardBody"])
    searches = re.findall(r"SEARCH\('\{([^}]*)\} MetricName=\\\"(\w+)\\\"", body)
    assert {metric for _, metric in searches} == {
        "RecordsCollected",
        "RowsTransformed",
        "RecordsQuarantined",
        "RowsProcessed",
        "RowsLoaded",
    }
    for schema, metric in searches:
        namespace, *dimensions = schema.split(",")
        assert namespace == METRICS_NAMESPACE
        assert (metric, frozenset(dimensions)) in emitted, (metric, dimensions, sorted(emitted))


@pytest.mark.slow
def test_alarms_and_dashboard(synthesised: tuple[Any, Any, Path]) -> None:
    alarms = [a["Properties"] for a in _resources(synthesised, "AWS::CloudWatch::Alarm").values()]
    metrics = sorted(a["MetricName"] for a in alarms)
    # One mail per problem: failed runs mail through notify, so only what notify cannot see alarms.
    assert metrics == ["ApproximateNumberOfMessagesVisible", "Errors", "ExecutionsSucceeded"]
    assert all(a["AlarmActions"][0]["Ref"].startswith("Alerts") for a in alarms)
    (heartbeat,) = [a for a in alarms if a["MetricName"] == "ExecutionsSucceeded"]
    assert heartbeat["Period"] * heartbeat["EvaluationPeriods"] == 26 * 3600
    assert heartbeat["DatapointsToAlarm"] == heartbeat["EvaluationPeriods"]
    assert (heartbeat["ComparisonOperator"], heartbeat["Threshold"], heartbeat["TreatMissingData"]) == (
        "LessThanThreshold", 1, "breaching",
    )  # fmt: skip
    (dashboard,) = _resources(synthesised, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for needle in (
        "RecordsCollected",
        "RowsTransformed",
        "RowsLoaded",
        "RowsProcessed",
        "QualityFailures",
        "glue.driver.aggregate.elapsedTime",
        "Duration",
    ):
        assert needle in body


@pytest.mark.slow
def test_no_policy_grants_every_action(synthesised: tuple[Any, Any, Path]) -> None:
    for name, policy in _resources(synthesised, "AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not any(a == "*" or a.endswith(":*") for a in actions), (name, actions)
            if statement.get("Resource") == "*":
                assert all(
                    a.startswith(("xray:", "logs:", "redshift-data:", "cloudwatch:", "s3:PutBucketNotification"))
                    for a in actions
                ), (name, actions)


# Fast checks of the parts around the stack ----------------------------------------------------------------


def test_context_errors_name_the_key_and_what_is_allowed() -> None:
    def get(values: dict[str, Any]) -> Any:
        return lambda key: values.get(key)

    with pytest.raises(ContextError, match="schedule_cron must be an EventBridge cron with six fields"):
        StackSettings.from_context(get({"flightpipe:schedule_cron": "0 4 * * *", "flightpipe:alert_email": "a@b.de"}))
    with pytest.raises(ContextError, match="alert_email must be an email address"):
        StackSettings.from_context(get({"flightpipe:alert_email": "ops"}))
    with pytest.raises(ContextError, match="vpc_id needs flightpipe:subnet_ids"):
        StackSettings.from_context(
            get({"flightpipe:vpc_id": "vpc-1", "flightpipe:subnet_ids": "subnet-1", "flightpipe:no_alert_email": "t"})
        )
    with pytest.raises(ContextError, match="XXXX are not ICAO codes"):
        StackSettings.from_context(get({"flightpipe:airports": "EDDF,XXXX", "flightpipe:no_alert_email": "t"}))
    assert StackSettings.from_context(get({"flightpipe:no_alert_email": "t"})).schedule_cron == "0 4 * * ? *"


def test_an_alert_address_is_required_unless_the_stage_opts_out_with_a_reason() -> None:
    with pytest.raises(ContextError, match="stage prod: flightpipe:alert_email is required") as missing:
        StackSettings.from_context(lambda key: None, stage="prod")
    assert "flightpipe:no_alert_email" in str(missing.value)
    opted_out = StackSettings.from_context(lambda key: None, stage="dev", overrides={"no_alert_email": "dev stage"})
    assert (opted_out.alert_email, opted_out.no_alert_email) == (None, "dev stage")


def test_each_stage_of_the_context_gets_its_own_keys_over_the_shared_ones() -> None:
    context = {
        "flightpipe:stages": {"dev": {"airports": "EDDF", "no_alert_email": "dev"}, "prod": {"alert_email": "o@x.de"}},
        "flightpipe:airports": "EDDM,EDDH",
        "flightpipe:alert_email": "shared@x.de",
    }
    dev, prod = StackSettings.stages(context.get)
    assert (dev.stage, dev.airports, dev.prefix, dev.glue_database) == (
        "dev",
        ["EDDF"],
        "flightpipe-dev",
        "flightpipe_dev",
    )
    assert (prod.stage, prod.airports, prod.alert_email) == ("prod", ["EDDM", "EDDH"], "o@x.de")
    only = StackSettings.stages({**context, "flightpipe:stage": "prod"}.get)
    assert [s.stage for s in only] == ["prod"]
    with pytest.raises(ContextError, match="a stage name must be lowercase"):
        StackSettings.stages({"flightpipe:stages": "Prod", "flightpipe:no_alert_email": "t"}.get)


def test_cdk_json_names_two_stages_that_synthesize_with_their_own_keys() -> None:
    context = json.loads((REPO / "infra" / "cdk.json").read_text())["context"]
    assert [s.stage for s in StackSettings.stages(context.get)] == ["dev", "prod"]


def test_package_sizes_are_checked_against_lambdas_limit(tmp_path: Path) -> None:
    assets = fake_assets(tmp_path / "build")
    big = assets.layers["arrow"] / "python" / "big.bin"
    with big.open("wb") as handle:
        handle.truncate(LAMBDA_UNZIPPED_LIMIT_BYTES + 1)  # sparse, yet its size counts
    sizes = function_sizes(assets)
    assert over_limit(sizes) == [
        f"{name}: {sizes[name] / 2**20:.1f} MB unzipped, over Lambda's 250 MB"
        for name in ("collect", "load", "notify", "plan", "transform", "verify")
    ]


def test_pruning_removes_what_flightpipe_never_imports_from_pyarrow(tmp_path: Path) -> None:
    for name in ("pyarrow/libarrow_flight.so.2000", "pyarrow/tests/test_x.py", "pyarrow/libparquet.so.2000"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    prune(tmp_path, ARROW_PRUNE)
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == [
        "pyarrow/libparquet.so.2000"
    ]


def test_the_glue_wheel_builds_offline_with_the_hatchling_the_infra_extra_installs(tmp_path: Path) -> None:
    command = wheel_command(tmp_path)
    assert command[command.index("wheel") :] == [
        "wheel",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",
        "--no-build-isolation",  # pip would fetch the build backend from the index into a fresh environment
        "--wheel-dir",
        str(tmp_path),
        str(REPO),
    ]
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    (backend,) = project["build-system"]["requires"]
    assert backend in project["project"]["optional-dependencies"]["infra"]


@pytest.mark.slow
def test_an_unacknowledged_wildcard_fails_the_synth(tmp_path: Path) -> None:
    require_node()
    from app import build_app
    from aws_cdk import aws_iam as iam

    app = build_app(
        fake_assets(tmp_path / "build"),
        outdir=str(tmp_path / "cdk.out"),
        context={**CONTEXT, "flightpipe:stage": "dev"},
    )
    stack = app.node.find_child("Flightpipe-dev")
    stack.functions["notify"].add_to_role_policy(
        iam.PolicyStatement(actions=["s3:GetObject"], resources=[stack.bucket.arn_for_objects("*")])
    )
    with pytest.raises(RuntimeError, match="ValidationFailed") as failed:
        app.synth()
    bucket = stack.get_logical_id(stack.bucket.node.default_child)
    message = str(failed.value)
    assert "Flightpipe-dev/NotifyFunction/ServiceRole/DefaultPolicy/Resource" in message
    assert f"Acknowledge with 'AwsSolutions::AwsSolutions-IAM5[Resource::<{bucket}.Arn>/*]'" in message
    assert message.count("Acknowledge with") == 1  # everything else stays acknowledged


@pytest.mark.slow
def test_an_existing_vpc_from_context_hosts_redshift_instead_of_a_new_one(tmp_path: Path) -> None:
    require_node()
    from app import build_app
    from aws_cdk.assertions import Template

    subnets = ["subnet-0a", "subnet-0b", "subnet-0c"]
    context = {
        "flightpipe:vpc_id": "vpc-0123",
        "flightpipe:subnet_ids": ",".join(subnets),
        "flightpipe:no_alert_email": "tests",
    }
    app = build_app(fake_assets(tmp_path / "build"), outdir=str(tmp_path / "cdk.out"), context=context)
    app.synth()
    template = Template.from_stack(app.node.find_child("Flightpipe-dev"))  # no stages in the context: dev
    template.resource_count_is("AWS::EC2::VPC", 0)
    template.has_resource_properties("AWS::RedshiftServerless::Workgroup", {"SubnetIds": subnets})
    template.has_resource_properties("AWS::EC2::SecurityGroup", {"VpcId": "vpc-0123"})
    template.resource_count_is("AWS::SNS::Subscription", 0)  # opted out of alert mails


def _import_names(requirements: list[str]) -> set[str]:
    """Top-level module names of requirement strings ("pydantic-settings>=2.3" -> "pydantic_settings")."""
    return {re.split(r"[<>=\[ ]", r, maxsplit=1)[0].lower().replace("-", "_") for r in requirements}


LAYER_MODULES = {"core": _import_names(CORE_REQUIREMENTS), "arrow": _import_names(ARROW_REQUIREMENTS)}

_IMPORT_WITH_ONLY_ITS_LAYERS = """
import importlib.abc, sys
blocked = set(sys.argv[2].split(","))
class Blocked(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in blocked:
            raise ImportError(f"{name} is in no layer of this function")
sys.meta_path.insert(0, Blocked())
module = __import__(sys.argv[1], fromlist=["handler"])
assert callable(module.handler)
"""


@pytest.mark.parametrize("function", sorted(FUNCTION_LAYERS))
def test_each_handler_imports_with_only_the_packages_of_its_layers(function: str) -> None:
    """What flightpipe depends on but a function's layers lack (DuckDB and matplotlib are on none) must not be
    imported by its handler module, or the function fails at its first cold start on AWS."""
    dependencies = _import_names(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"])
    available = set().union(*(LAYER_MODULES[layer] for layer in FUNCTION_LAYERS[function]))
    blocked = sorted(dependencies - available)
    assert "duckdb" in blocked
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_WITH_ONLY_ITS_LAYERS, f"flightpipe.aws.handlers.{function}", ",".join(blocked)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]


#: Template properties that are physical names (the rest are generated by CloudFormation, unique per stack).
PHYSICAL_NAMES = ("StateMachineName", "NamespaceName", "WorkgroupName", "DashboardName", "AlarmName", "Name")


def _physical_names(template_file: Path) -> set[str]:
    resources = json.loads(template_file.read_text())["Resources"].values()
    found = set()
    for resource in resources:
        properties = resource.get("Properties", {})
        for key in PHYSICAL_NAMES:
            if isinstance(properties.get(key), str):
                found.add(properties[key])
        if "DatabaseInput" in properties:
            found.add(properties["DatabaseInput"]["Name"])
    return found


@pytest.mark.slow
def test_two_stages_synthesize_side_by_side_every_physical_name_prefixed_by_its_stage(
    synthesised_stages: dict[str, tuple[Any, Path]],
) -> None:
    names = {stage: _physical_names(template_file) for stage, (_, template_file) in synthesised_stages.items()}
    assert names["prod"] & names["dev"] == set()
    for stage, found in names.items():
        assert {n for n in found if not n.startswith((f"flightpipe-{stage}", f"flightpipe_{stage}"))} == set()
        assert {f"flightpipe-{stage}-daily", f"flightpipe-{stage}-process", f"flightpipe_{stage}"} <= found
    assert {stack.stack_name for stack, _ in synthesised_stages.values()} == {"Flightpipe-prod", "Flightpipe-dev"}


@pytest.mark.slow
def test_the_loads_statement_wait_ends_well_before_its_lambda_timeout(synthesised: tuple[Any, Any, Path]) -> None:
    from flightpipe_infra.stack import LOAD_BATCHES_AT_MOST

    stack = synthesised[0]
    load = _resources(synthesised, "AWS::Lambda::Function")[
        stack.get_logical_id(stack.functions["load"].node.default_child)
    ]
    wait = float(load["Properties"]["Environment"]["Variables"]["FLIGHTPIPE__WAREHOUSE__STATEMENT_TIMEOUT_S"])
    # Every batch of a load (a flight date each, the quality results) waiting its longest still leaves a minute.
    assert LOAD_BATCHES_AT_MOST * wait + 60 <= load["Properties"]["Timeout"]


@pytest.mark.slow
def test_cloudwatch_alarms_of_this_account_may_publish_to_the_topic(synthesised: tuple[Any, Any, Path]) -> None:
    (policy,) = _resources(synthesised, "AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    (alarms,) = [s for s in statements if s.get("Sid") == "CloudWatchAlarmsPublish"]
    assert (alarms["Principal"], alarms["Action"]) == ({"Service": "cloudwatch.amazonaws.com"}, "sns:Publish")
    assert alarms["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert any(s["Principal"] == {"Service": "events.amazonaws.com"} for s in statements)


@pytest.mark.slow
def test_failed_transform_events_go_to_a_queue_whose_depth_alarms(synthesised: tuple[Any, Any, Path]) -> None:
    stack = synthesised[0]
    (config,) = _resources(synthesised, "AWS::Lambda::EventInvokeConfig").values()
    queue = stack.get_logical_id(stack.transform_failures.node.default_child)
    assert config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert config["Properties"]["FunctionName"] == {
        "Ref": stack.get_logical_id(stack.functions["transform"].node.default_child)
    }
    alarms = _resources(synthesised, "AWS::CloudWatch::Alarm").values()
    (depth,) = [a for a in alarms if a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"]
    assert depth["Properties"]["Dimensions"][0]["Value"] == {"Fn::GetAtt": [queue, "QueueName"]}


@pytest.mark.slow
def test_the_warehouse_namespace_outlives_the_stack_and_leaves_a_final_snapshot(
    synthesised: tuple[Any, Any, Path],
) -> None:
    (namespace,) = _resources(synthesised, "AWS::RedshiftServerless::Namespace").values()
    assert (namespace["DeletionPolicy"], namespace["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert namespace["Properties"]["FinalSnapshotName"] == "flightpipe-prod-final"


@pytest.mark.slow
def test_the_source_secret_is_created_as_an_empty_json_object(synthesised: tuple[Any, Any, Path]) -> None:
    (secret,) = _resources(synthesised, "AWS::SecretsManager::Secret").values()
    assert secret["Properties"]["SecretString"] == "{}" and "GenerateSecretString" not in secret["Properties"]
