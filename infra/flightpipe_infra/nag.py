"""cdk-nag AwsSolutions acknowledgements, each with the reason it is acceptable here.

An acknowledgement names one rule on one construct, and for IAM4/IAM5 the exact managed policy, action or
resource it accepts (cdk-nag's "finding" suffix), so a new wildcard anywhere else still fails the synth.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk
from constructs import IConstruct

if TYPE_CHECKING:
    from flightpipe_infra.stack import FlightpipeStack

BASIC_EXECUTION = "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
BASIC_EXECUTION_REASON = (
    "AWSLambdaBasicExecutionRole is AWS's managed policy for a function writing its own CloudWatch logs."
)
XRAY_REASON = "X-Ray PutTraceSegments/PutTelemetryRecords accept no resource ARN ('*' is the only form)."
#: The construct id of CDK's singleton BucketDeployment handler (fixed in aws-cdk-lib).
BUCKET_DEPLOYMENT_HANDLER = "Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C"
KMS_REASON = (
    "CDK's key grant for the stack's own KMS key (the encrypted topic and logs): kms:GenerateDataKey*/ReEncrypt* "
    "are on that one key ARN."
)


def ack(scope: IConstruct, rule: str, reason: str, finding: str | None = None) -> None:
    rule_id = f"AwsSolutions::AwsSolutions-{rule}" + (f"[{finding}]" if finding else "")
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))


def _ref(stack: cdk.Stack, construct: IConstruct) -> str:
    default = construct.node.default_child
    assert isinstance(default, cdk.CfnElement)
    return f"<{stack.get_logical_id(default)}.Arn>"


def acknowledge_stack(stack: FlightpipeStack) -> None:
    bucket = _ref(stack, stack.bucket)
    prefix_reason = "S3 object access is limited to the flightpipe layer prefix this role reads or writes: "

    def prefix(scope: IConstruct, layer: str, why: str) -> None:
        ack(scope, "IAM5", prefix_reason + why, f"Resource::{bucket}/{layer}/*")

    ack(
        stack.access_logs,
        "S1",
        "This is the server-access-log bucket of the data bucket; logging it into itself would loop.",
    )
    ack(
        stack.source_secret,
        "SMG4",
        "A third-party flight-data API key: the provider offers no rotation API, so nothing can rotate it "
        "automatically; the operator replaces it (docs/aws.md).",
    )

    for name, fn in stack.functions.items():
        role = fn.role
        assert role is not None
        ack(role, "IAM4", BASIC_EXECUTION_REASON, BASIC_EXECUTION)
        reason = XRAY_REASON
        if name == "load":
            reason += (
                " The Data API's DescribeStatement/GetStatementResult/CancelStatement accept no resource ARN either "
                "and only ever show the caller's own statements."
            )
        ack(role, "IAM5", reason, "Resource::*")
    f = stack.functions
    prefix(f["collect"].role, "raw", "collect only puts raw envelopes (raw/*)")  # type: ignore[arg-type]
    for name in ("transform", "verify"):
        role = f[name].role
        assert role is not None
        prefix(role, "raw", f"{name} reads raw envelopes")
        prefix(role, "transformed", f"{name} writes each raw file's Parquet twin")
        prefix(role, "quarantine", f"{name} writes rejected records with reasons")
    prefix(f["load"].role, "processed/all_data", "load reads the processed partitions it loads")  # type: ignore[arg-type]
    for layer in ("raw", "transformed", "quarantine"):
        prefix(f["load"].role, layer, f"load's quality gate reads the day's boards ({layer}/*)")  # type: ignore[arg-type]
    prefix(f["load"].role, "quality", "load's quality gate reads earlier results and writes its own")  # type: ignore[arg-type]
    ack(f["notify"].role, "IAM5", KMS_REASON, "Action::kms:GenerateDataKey*")  # type: ignore[arg-type]
    for finding in ("Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*"):
        ack(
            f["transform"].role,  # type: ignore[arg-type]
            "IAM5",
            KMS_REASON + " transform sends its failed S3 events to the encrypted on-failure queue.",
            finding,
        )
    ack(
        stack.transform_failures,
        "SQS3",
        "This queue is the transform function's on-failure destination (a dead-letter queue by another name); "
        "its depth alarms, and nothing consumes it automatically.",
    )

    glue_role = stack.glue_role
    prefix(glue_role, "raw", "the raw crawler reads raw/ for schema discovery")
    prefix(glue_role, "transformed", "the job reads transformed/ (and its crawler)")
    prefix(glue_role, "processed/all_data", "the job rewrites processed/ partitions (and its crawler reads them)")
    prefix(glue_role, "glue", "the job reads its script and the flightpipe wheel (glue/*)")
    ack(
        glue_role,
        "IAM5",
        "The job registers partitions of the flightpipe database's tables only (processed, and the crawlers' tables).",
        f"Resource::arn:<AWS::Partition>:glue:{stack.region}:<AWS::AccountId>:table/{stack.settings.glue_database}/*",
    )
    ack(
        glue_role,
        "IAM5",
        "Glue writes its job and crawler logs to log groups it names under /aws-glue/.",
        f"Resource::arn:<AWS::Partition>:logs:{stack.region}:<AWS::AccountId>:log-group:/aws-glue/*",
    )
    ack(
        glue_role,
        "IAM5",
        "cloudwatch:PutMetricData accepts no resource ARN; a condition limits it to the Glue and flightpipe "
        "namespaces.",
        "Resource::*",
    )
    for finding in ("Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*"):
        ack(glue_role, "IAM5", KMS_REASON + " Glue encrypts its logs and bookmarks with it.", finding)

    ack(stack.copy_role, "IAM5", "Redshift COPY reads processed/ only.", f"Resource::{bucket}/processed/all_data/*")

    sm = stack.state_machine
    ack(
        sm,
        "IAM5",
        "X-Ray and CloudWatch Logs delivery (CreateLogDelivery, DescribeResourcePolicies, ...) accept no resource ARN.",
        "Resource::*",
    )
    for name in ("plan", "collect", "verify", "load", "notify"):
        ack(
            sm,
            "IAM5",
            f"Invoking the {name} function includes its versions and aliases (function:name:*), as CDK grants it.",
            f"Resource::{_ref(stack, f[name])}:*",
        )

    # CDK's own helper that configures the bucket notification (a singleton Lambda it creates).
    handler = stack.node.try_find_child("BucketNotificationsHandler050a0587b7544547bf325f094a3db834")
    if handler is not None:
        ack(handler, "IAM4", "CDK's bucket-notification helper: " + BASIC_EXECUTION_REASON, BASIC_EXECUTION)
        ack(
            handler,
            "IAM5",
            "CDK's bucket-notification helper needs s3:PutBucketNotification, which CDK grants on '*' for its "
            "singleton; it runs only while deploying.",
            "Resource::*",
        )

    # CDK's singleton Lambda behind the BucketDeployment that copies the Glue script and wheel to glue/.
    deployment = stack.node.try_find_child(BUCKET_DEPLOYMENT_HANDLER)
    if deployment is not None:
        _acknowledge_bucket_deployment(deployment, bucket, stack.region)


def _acknowledge_bucket_deployment(deployment: IConstruct, bucket: str, region: str) -> None:
    why = (
        "CDK's BucketDeployment helper, which runs only while deploying: it copies the Glue script and wheel "
        "from the CDK asset bucket to glue/ of the data bucket (under their file names, which pip needs) and "
        "prunes only below that key prefix; CDK grants it these wildcards and offers no narrower form."
    )
    ack(deployment, "IAM4", "CDK's BucketDeployment helper: " + BASIC_EXECUTION_REASON, BASIC_EXECUTION)
    for finding in (
        "Action::s3:GetObject*",
        "Action::s3:GetBucket*",
        "Action::s3:List*",
        "Action::s3:DeleteObject*",
        "Action::s3:Abort*",
        f"Resource::{bucket}/*",
    ):
        ack(deployment, "IAM5", why, finding)
    ack(
        deployment,
        "IAM5",
        why,
        f"Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-{region}/*",
    )
    ack(
        deployment,
        "L1",
        "CDK's BucketDeployment helper pins the Python runtime its bundled AWS CLI layer is built for; "
        "it runs only while deploying.",
    )
