"""The flightpipe stack: the architecture our users asked for, around flightpipe's own stage functions.

EventBridge schedule -> Step Functions (Map of collect Lambdas) -> raw/ on S3 -> S3 notification -> transform
Lambda -> verify -> Glue job (process SQL on Spark, catalog partitions) -> load Lambda (Redshift Data API)
-> notify Lambda -> SNS. EventBridge rules forward state changes to SNS; CloudWatch alarms and a dashboard.

IAM is least privilege: every grant names the bucket prefix, function, job, workgroup or topic it needs.
Where AWS offers no resource-level scoping (X-Ray, CloudWatch metrics, the Data API's statement calls,
log delivery) the wildcard is acknowledged for cdk-nag in ``nag.py`` with the reason.
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_redshiftserverless as redshift
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from flightpipe.aws import names
from flightpipe.aws.glue_catalog import (
    PARQUET_INPUT_FORMAT,
    PARQUET_OUTPUT_FORMAT,
    PARQUET_SERDE,
    PARTITION_KEY,
    glue_columns,
)
from flightpipe.aws.state_machine import Targets, definition
from flightpipe.core.layout import PROCESSED, QUALITY, QUARANTINE, RAW, TRANSFORMED
from flightpipe.core.schema import PROCESSED_SCHEMA, TRANSFORMED_SCHEMA
from flightpipe_infra.nag import acknowledge_stack
from flightpipe_infra.packaging import FUNCTION_LAYERS, LAMBDA_PYTHON, Assets
from flightpipe_infra.settings import StackSettings

RUNTIME = {"3.12": lambda_.Runtime.PYTHON_3_12, "3.13": lambda_.Runtime.PYTHON_3_13}.get(
    LAMBDA_PYTHON, lambda_.Runtime.PYTHON_3_14
)
#: Where the Glue script and the flightpipe wheel land in the data bucket, under their own file names: pip
#: installs a wheel only from a file named name-version-tags.whl (PEP 427), never from a hash-named CDK asset.
GLUE_PREFIX = "glue"
REDSHIFT_DB = "flights"
#: The load's bounded wait for one Redshift statement or batch (then it is cancelled and LoadError raised). A
#: load runs a batch per flight date (two or three) and one for the quality results: four waits and a minute of
#: work stay under the load function's timeout, so a load queued behind another's LOCK cancels its statement
#: itself instead of being killed with the statement left running.
LOAD_STATEMENT_WAIT_S = 180
LOAD_BATCHES_AT_MOST = 4
#: Two-hour periods without a succeeded run before the heartbeat alarm fires: 26 hours.
NO_SUCCESS_PERIODS = 13
#: Execution errors no notify state mails (no Catch reaches them, or notifying itself failed).
UNNOTIFIED_ERRORS = ("States.Runtime", "States.DataLimitExceeded", "NotificationFailed")

#: Per function: memory (MB), timeout (s), what it does.
FUNCTIONS: dict[str, tuple[int, int, str]] = {
    "plan": (256, 30, "Plans a run: the day, the run id, one collect task per airport and board"),
    "collect": (1024, 300, "Collects one airport's board for one day into raw/"),
    "transform": (1536, 300, "Transforms raw envelopes to Parquet on S3 events"),
    "verify": (1536, 600, "Transforms raw files whose event never came; lists the touched flight dates"),
    "load": (1024, 900, "Loads processed flight dates into Redshift through the Data API"),
    "notify": (256, 30, "Publishes the run's outcome to SNS"),
}


class FlightpipeStack(cdk.Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: StackSettings, assets: Assets, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        self.key = kms.Key(self, "Key", enable_key_rotation=True, description="flightpipe: logs, topic, Glue")
        self.key.grant_encrypt_decrypt(iam.ServicePrincipal(f"logs.{self.region}.amazonaws.com"))
        self._bucket()
        self._alerts()
        self._secret()
        self._network()
        self._redshift()
        self._functions(assets)
        self._glue(assets)
        self._state_machine()
        self._schedule_and_rules()
        self._alarms_and_dashboard()
        acknowledge_stack(self)

    @property
    def availability_zones(self) -> list[str]:
        # Three AZs resolved at deploy time (Fn::GetAZs): Redshift Serverless needs subnets in three, and no
        # AZ name is written into the template (no context lookup, so synth stays offline).
        if self.settings.availability_zones:
            return list(self.settings.availability_zones)
        return [cdk.Fn.select(i, cdk.Fn.get_azs()) for i in range(3)]

    # Storage ------------------------------------------------------------------------------------------------

    def _bucket(self) -> None:
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs", expiration=cdk.Duration.days(365))],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        day = cdk.Duration.days
        self.bucket = s3.Bucket(
            self,
            "Data",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="data-bucket/",
            removal_policy=cdk.RemovalPolicy.RETAIN,
            lifecycle_rules=[
                # raw is the record of what the APIs said: kept, but cold after a quarter.
                s3.LifecycleRule(
                    id="raw-to-cold",
                    prefix=f"{RAW}/",
                    transitions=[
                        s3.Transition(storage_class=s3.StorageClass.INFREQUENT_ACCESS, transition_after=day(30)),
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transition_after=day(90)
                        ),
                    ],
                ),
                # transformed is a pure function of raw: rebuildable, so cheaper storage sooner.
                s3.LifecycleRule(
                    id="transformed-to-ia",
                    prefix=f"{TRANSFORMED}/",
                    transitions=[
                        s3.Transition(storage_class=s3.StorageClass.INFREQUENT_ACCESS, transition_after=day(30))
                    ],
                ),
                # processed is what Redshift COPYs and Athena reads: hot for a quarter.
                s3.LifecycleRule(
                    id="processed-to-ia",
                    prefix=f"{PROCESSED}/",
                    transitions=[
                        s3.Transition(storage_class=s3.StorageClass.INFREQUENT_ACCESS, transition_after=day(90))
                    ],
                    noncurrent_version_expiration=day(30),
                ),
                s3.LifecycleRule(id="quarantine-expiry", prefix=f"{QUARANTINE}/", expiration=day(365)),
                s3.LifecycleRule(
                    id="housekeeping",
                    abort_incomplete_multipart_upload_after=day(7),
                    noncurrent_version_expiration=day(90),
                ),
            ],
        )
        self.data_url = f"s3://{self.bucket.bucket_name}"

    def _alerts(self) -> None:
        self.topic = sns.Topic(self, "Alerts", display_name="flightpipe alerts", master_key=self.key, enforce_ssl=True)
        if self.settings.alert_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(self.settings.alert_email))
        # EventBridge and CloudWatch publish to the encrypted topic. The topic policy the SnsTopic rule target
        # writes admits EventBridge only; the alarms of this account need their own statement.
        for service in ("events.amazonaws.com", "cloudwatch.amazonaws.com"):
            self.key.grant_encrypt_decrypt(iam.ServicePrincipal(service))
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{self.partition}:cloudwatch:{self.region}:{self.account}:alarm:*"
                    },
                    "StringEquals": {"aws:SourceAccount": self.account},
                },
            )
        )

    def _secret(self) -> None:
        # The flight-data API's credentials: created empty here, filled in once by the operator (docs/aws.md).
        # An empty JSON object, not CDK's default random string: a function reading it before the operator put
        # the key in finds no key (and says which one to set), not a random one the API refuses.
        self.source_secret = secretsmanager.Secret(
            self,
            "SourceCredentials",
            description=f"flightpipe: credentials of the {self.settings.source_type} API (JSON, see docs/aws.md)",
            secret_string_value=cdk.SecretValue.unsafe_plain_text("{}"),
        )

    # Network and Redshift ----------------------------------------------------------------------------------

    def _network(self) -> None:
        s = self.settings
        if s.vpc_id:
            self.vpc = ec2.Vpc.from_vpc_attributes(
                self,
                "Vpc",
                vpc_id=s.vpc_id,
                availability_zones=s.availability_zones or [f"{self.region}{z}" for z in "abc"],
                private_subnet_ids=s.subnet_ids,
            )
            self.subnet_ids = list(s.subnet_ids)
        else:
            # Isolated subnets only: Redshift needs no internet, the Data API needs no VPC, and COPY reaches
            # S3 through the gateway endpoint (no NAT gateway to pay for).
            vpc = ec2.Vpc(
                self,
                "Vpc",
                ip_addresses=ec2.IpAddresses.cidr("10.42.0.0/16"),
                max_azs=3,
                nat_gateways=0,
                subnet_configuration=[
                    ec2.SubnetConfiguration(name="redshift", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24)
                ],
                gateway_endpoints={"S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)},
            )
            vpc.add_flow_log(
                "FlowLog",
                destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                    logs.LogGroup(self, "FlowLogs", retention=logs.RetentionDays.ONE_MONTH, encryption_key=self.key)
                ),
            )
            self.vpc = vpc
            self.subnet_ids = [sn.subnet_id for sn in vpc.isolated_subnets]
        self.redshift_sg = ec2.SecurityGroup(
            self, "RedshiftSg", vpc=self.vpc, description="flightpipe Redshift Serverless", allow_all_outbound=False
        )
        # COPY with enhanced VPC routing reaches S3 through the gateway endpoint, whose traffic goes to S3's
        # public addresses (the region's S3 prefix list), not to the VPC range: HTTPS to any IPv4. Safe in the
        # isolated subnets: their only route out is the S3 endpoint. (The prefix list's id would need a context
        # lookup, and synth stays offline.) In an existing VPC, its route tables decide what 443 reaches.
        self.redshift_sg.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to S3 (gateway endpoint) for COPY"
        )

    def _redshift(self) -> None:
        self.copy_role = iam.Role(
            self,
            "RedshiftCopyRole",
            assumed_by=iam.ServicePrincipal("redshift.amazonaws.com"),
            description="Redshift COPY reads processed/ of the flightpipe bucket",
        )
        self.copy_role.add_to_policy(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[self.bucket.arn_for_objects(f"{PROCESSED}/*")])
        )
        self.copy_role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{PROCESSED}/*"]}},
            )
        )
        self.namespace = redshift.CfnNamespace(
            self,
            "Namespace",
            namespace_name=self.settings.prefix,
            db_name=REDSHIFT_DB,
            admin_username="flightpipe_admin",
            manage_admin_password=True,  # the password lives in Secrets Manager, never in the template
            iam_roles=[self.copy_role.role_arn],
            default_iam_role_arn=self.copy_role.role_arn,
            kms_key_id=self.key.key_arn,
            log_exports=["userlog", "connectionlog", "useractivitylog"],
            # Deleting the namespace (a replacement, or by hand) leaves a snapshot; deleting the stack leaves the
            # namespace itself. The way back without either is `flightpipe warehouse rebuild` from processed/.
            final_snapshot_name=f"{self.settings.prefix}-final",
            final_snapshot_retention_period=-1,
        )
        self.namespace.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        self.workgroup = redshift.CfnWorkgroup(
            self,
            "Workgroup",
            workgroup_name=self.settings.prefix,
            namespace_name=self.settings.prefix,
            base_capacity=8,  # the smallest: a day is a few thousand rows
            max_capacity=32,
            publicly_accessible=False,
            enhanced_vpc_routing=True,
            subnet_ids=self.subnet_ids,
            security_group_ids=[self.redshift_sg.security_group_id],
        )
        self.workgroup.node.add_dependency(self.namespace)

    # Lambda -------------------------------------------------------------------------------------------------

    def _functions(self, assets: Assets) -> None:
        layers = {
            name: lambda_.LayerVersion(
                self,
                f"{name.capitalize()}Layer",
                code=lambda_.Code.from_asset(str(path)),
                compatible_runtimes=[RUNTIME],
                compatible_architectures=[lambda_.Architecture.X86_64],
                description=f"flightpipe dependencies ({name}), from manylinux wheels",
            )
            for name, path in assets.layers.items()
        }
        code = lambda_.Code.from_asset(str(assets.function_code))
        environment = {
            "FLIGHTPIPE__DATA_DIR": self.data_url,
            "FLIGHTPIPE__LEDGER_PATH": "/tmp/flightpipe/ledger.sqlite",
            "FLIGHTPIPE__AIRPORTS": ",".join(self.settings.airports),
            "FLIGHTPIPE__SOURCE__TYPE": self.settings.source_type,
            "FLIGHTPIPE__WAREHOUSE__TYPE": "redshift",
            "FLIGHTPIPE__WAREHOUSE__WORKGROUP": self.settings.prefix,
            "FLIGHTPIPE__WAREHOUSE__DATABASE": REDSHIFT_DB,
            "FLIGHTPIPE__WAREHOUSE__IAM_ROLE": self.copy_role.role_arn,
            "FLIGHTPIPE__WAREHOUSE__STATEMENT_TIMEOUT_S": str(LOAD_STATEMENT_WAIT_S),
            "POWERTOOLS_SERVICE_NAME": names.SERVICE,
            "POWERTOOLS_METRICS_NAMESPACE": names.METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": "INFO",
            names.ENV_TOPIC_ARN: self.topic.topic_arn,
        }
        if self.settings.source_needs_credentials:
            key = f"FLIGHTPIPE__SOURCES__{self.settings.source_type.upper()}__SECRET_ARN"
            environment[key] = self.source_secret.secret_arn
        # The S3 notification invokes transform asynchronously: an event that fails its two retries lands here
        # (verify transforms the file later anyway); the queue's depth alarms.
        self.transform_failures = sqs.Queue(
            self,
            "TransformFailures",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
        )
        self.functions: dict[str, lambda_.Function] = {}
        for name, (memory, timeout, description) in FUNCTIONS.items():
            log_group = logs.LogGroup(
                self, f"{name.capitalize()}Logs", retention=logs.RetentionDays.THREE_MONTHS, encryption_key=self.key
            )
            self.functions[name] = lambda_.Function(
                self,
                f"{name.capitalize()}Function",
                description=f"flightpipe: {description}",
                runtime=RUNTIME,
                architecture=lambda_.Architecture.X86_64,
                handler=f"flightpipe.aws.handlers.{name}.handler",
                code=code,
                layers=[layers[layer] for layer in FUNCTION_LAYERS[name]],
                memory_size=memory,
                timeout=cdk.Duration.seconds(timeout),
                environment=environment,
                tracing=lambda_.Tracing.ACTIVE,
                log_group=log_group,
                ephemeral_storage_size=cdk.Size.mebibytes(1024),
                on_failure=destinations.SqsDestination(self.transform_failures) if name == "transform" else None,
            )
        f = self.functions
        # Least privilege, per function and per prefix.
        f["collect"].add_to_role_policy(
            iam.PolicyStatement(actions=["s3:PutObject"], resources=[self.bucket.arn_for_objects(f"{RAW}/*")])
        )
        self.source_secret.grant_read(f["collect"])
        for name in ("transform", "verify"):
            self._grant_objects(f[name], ["s3:GetObject"], f"{RAW}/*")
            self._grant_objects(f[name], ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], f"{TRANSFORMED}/*")
            self._grant_objects(f[name], ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], f"{QUARANTINE}/*")
            self._grant_list(f[name])
        self._grant_objects(f["load"], ["s3:GetObject"], f"{PROCESSED}/*")
        # The load's quality gate judges the day's boards from their layers and reads and writes the results.
        for layer in (RAW, TRANSFORMED, QUARANTINE):
            self._grant_objects(f["load"], ["s3:GetObject"], f"{layer}/*")
        self._grant_objects(f["load"], ["s3:GetObject", "s3:PutObject"], f"{QUALITY}/*")
        self._grant_list(f["load"])
        f["load"].add_to_role_policy(
            iam.PolicyStatement(
                actions=["redshift-data:ExecuteStatement", "redshift-data:BatchExecuteStatement"],
                resources=[self._workgroup_arn()],
            )
        )
        f["load"].add_to_role_policy(
            iam.PolicyStatement(actions=["redshift-serverless:GetCredentials"], resources=[self._workgroup_arn()])
        )
        f["load"].add_to_role_policy(
            iam.PolicyStatement(
                # Statement-level calls take no resource ARN; the Data API only lets the caller see its own.
                actions=[
                    "redshift-data:DescribeStatement",
                    "redshift-data:GetStatementResult",
                    "redshift-data:CancelStatement",
                ],
                resources=["*"],
            )
        )
        self.topic.grant_publish(f["notify"])
        self.transform_notification = s3n.LambdaDestination(f["transform"])
        self.bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            self.transform_notification,
            s3.NotificationKeyFilter(prefix=f"{RAW}/", suffix=".json"),
        )

    def _workgroup_arn(self) -> str:
        return cdk.Arn.format(
            cdk.ArnComponents(
                service="redshift-serverless",
                resource="workgroup",
                resource_name=self.workgroup.attr_workgroup_workgroup_id,
            ),
            self,
        )

    def _grant_objects(self, fn: lambda_.Function, actions: list[str], pattern: str) -> None:
        fn.add_to_role_policy(iam.PolicyStatement(actions=actions, resources=[self.bucket.arn_for_objects(pattern)]))

    def _grant_list(self, grantee: iam.IGrantable) -> None:
        # ListBucket on the bucket, with no s3:prefix condition: S3 answers a HEAD of a missing object with 404
        # only to a caller allowed to list the bucket (else 403, which s3fs raises as PermissionError), and a
        # HEAD carries no s3:prefix, so a prefix condition would turn every "is it there yet?" into a 403. It
        # shows key names only; reading an object still needs s3:GetObject on its prefix.
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn])
        )

    # Glue ---------------------------------------------------------------------------------------------------

    def _glue_code(self, assets: Assets) -> s3deploy.BucketDeployment:
        """The Glue script and wheel, copied by file name to glue/ of the data bucket (no Docker: CDK's own
        deployment Lambda unzips the asset); prune removes the wheels of earlier versions."""
        folder = assets.glue_wheel.parent
        if assets.glue_script.parent != folder:
            raise ValueError(f"the Glue script and wheel must share a folder, got {assets.glue_script} and {folder}")
        return s3deploy.BucketDeployment(
            self,
            "GlueCode",
            destination_bucket=self.bucket,
            destination_key_prefix=f"{GLUE_PREFIX}/",
            sources=[s3deploy.Source.asset(str(folder))],
            prune=True,
        )

    def _glue(self, assets: Assets) -> None:
        self.glue_code = self._glue_code(assets)
        script_url = f"{self.data_url}/{GLUE_PREFIX}/{assets.glue_script.name}"
        wheel_url = f"{self.data_url}/{GLUE_PREFIX}/{assets.glue_wheel.name}"
        self.glue_role = iam.Role(
            self,
            "GlueRole",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description="flightpipe Glue job and crawlers",
        )
        for pattern, actions in (
            (f"{GLUE_PREFIX}/*", ["s3:GetObject"]),
            (f"{TRANSFORMED}/*", ["s3:GetObject"]),
            (f"{RAW}/*", ["s3:GetObject"]),
            (f"{PROCESSED}/*", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]),
        ):
            self.glue_role.add_to_policy(
                iam.PolicyStatement(actions=actions, resources=[self.bucket.arn_for_objects(pattern)])
            )
        self._grant_list(self.glue_role)
        catalog = cdk.Arn.format(cdk.ArnComponents(service="glue", resource="catalog"), self)
        database_arn = cdk.Arn.format(
            cdk.ArnComponents(service="glue", resource="database", resource_name=self.settings.glue_database), self
        )
        tables_arn = cdk.Arn.format(
            cdk.ArnComponents(service="glue", resource="table", resource_name=f"{self.settings.glue_database}/*"), self
        )
        self.glue_role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "glue:GetDatabase",
                    "glue:GetTable",
                    "glue:GetTables",
                    "glue:UpdateTable",
                    "glue:CreateTable",
                    "glue:GetPartition",
                    "glue:GetPartitions",
                    "glue:BatchCreatePartition",
                    "glue:UpdatePartition",
                    "glue:BatchDeletePartition",
                    "glue:BatchGetPartition",
                ],
                resources=[catalog, database_arn, tables_arn],
            )
        )
        log_arn = cdk.Arn.format(
            cdk.ArnComponents(
                service="logs",
                resource="log-group",
                resource_name="/aws-glue/*",
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            ),
            self,
        )
        self.glue_role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"],
                resources=[log_arn],
            )
        )
        self.glue_role.add_to_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                # Glue's own job metrics, and the job's RowsProcessed in flightpipe's namespace.
                conditions={"StringEquals": {"cloudwatch:namespace": ["Glue", names.METRICS_NAMESPACE]}},
            )
        )
        self.key.grant_encrypt_decrypt(self.glue_role)
        security = glue.CfnSecurityConfiguration(
            self,
            "GlueSecurity",
            name=self.settings.prefix,
            encryption_configuration=glue.CfnSecurityConfiguration.EncryptionConfigurationProperty(
                cloud_watch_encryption=glue.CfnSecurityConfiguration.CloudWatchEncryptionProperty(
                    cloud_watch_encryption_mode="SSE-KMS", kms_key_arn=self.key.key_arn
                ),
                job_bookmarks_encryption=glue.CfnSecurityConfiguration.JobBookmarksEncryptionProperty(
                    job_bookmarks_encryption_mode="CSE-KMS", kms_key_arn=self.key.key_arn
                ),
                s3_encryptions=[glue.CfnSecurityConfiguration.S3EncryptionProperty(s3_encryption_mode="SSE-S3")],
            ),
        )
        self.database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=self.account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=self.settings.glue_database, description="flightpipe layers on S3"
            ),
        )
        self.processed_table = glue.CfnTable(
            self,
            "ProcessedTable",
            catalog_id=self.account,
            database_name=self.settings.glue_database,
            table_input=glue.CfnTable.TableInputProperty(
                name="processed",
                description="One row per physical flight; partitions registered by the Glue job",
                table_type="EXTERNAL_TABLE",
                parameters={"classification": "parquet", "EXTERNAL": "TRUE"},
                partition_keys=[glue.CfnTable.ColumnProperty(name=PARTITION_KEY, type="string")],
                storage_descriptor=self._storage(f"{PROCESSED}/", glue_columns(PROCESSED_SCHEMA)),
            ),
        )
        airports = ",".join(self.settings.airports)
        self.transformed_table = glue.CfnTable(
            self,
            "TransformedTable",
            catalog_id=self.account,
            database_name=self.settings.glue_database,
            table_input=glue.CfnTable.TableInputProperty(
                name="transformed",
                description="Typed rows per raw file; partitions by projection (nothing to register)",
                table_type="EXTERNAL_TABLE",
                parameters={
                    "classification": "parquet",
                    "EXTERNAL": "TRUE",
                    "projection.enabled": "true",
                    "projection.airport.type": "enum",
                    "projection.airport.values": airports,
                    "projection.collection_date.type": "date",
                    "projection.collection_date.format": "yyyy-MM-dd",
                    "projection.collection_date.range": "2020-01-01,NOW",
                    "storage.location.template": f"{self.data_url}/{TRANSFORMED}/${{airport}}/${{collection_date}}/",
                },
                partition_keys=[
                    glue.CfnTable.ColumnProperty(name="airport", type="string"),
                    glue.CfnTable.ColumnProperty(name="collection_date", type="string"),
                ],
                storage_descriptor=self._storage(f"{TRANSFORMED}/", glue_columns(TRANSFORMED_SCHEMA)),
            ),
        )
        for table in (self.processed_table, self.transformed_table):
            table.node.add_dependency(self.database)
        # Crawlers for schema discovery only (tables prefixed crawled_, never the ones the job maintains);
        # on demand, no schedule, and nothing in the run waits for them.
        self.crawlers = [
            glue.CfnCrawler(
                self,
                f"{layer.capitalize()}Crawler",
                name=f"{self.settings.prefix}-{layer}",
                role=self.glue_role.role_arn,
                database_name=self.settings.glue_database,
                table_prefix=f"crawled_{layer}_",
                crawler_security_configuration=security.name,
                targets=glue.CfnCrawler.TargetsProperty(
                    s3_targets=[glue.CfnCrawler.S3TargetProperty(path=f"{self.data_url}/{prefix}/")]
                ),
                schema_change_policy=glue.CfnCrawler.SchemaChangePolicyProperty(
                    update_behavior="LOG", delete_behavior="LOG"
                ),
                recrawl_policy=glue.CfnCrawler.RecrawlPolicyProperty(recrawl_behavior="CRAWL_NEW_FOLDERS_ONLY"),
            )
            for layer, prefix in (("raw", RAW), ("transformed", TRANSFORMED), ("processed", PROCESSED))
        ]
        self.glue_job = glue.CfnJob(
            self,
            "ProcessJob",
            name=f"{self.settings.prefix}-process",
            description="flightpipe process step: process.sql on Spark, processed/ partitions, catalog",
            role=self.glue_role.role_arn,
            glue_version="5.0",
            worker_type="G.1X",
            number_of_workers=2,
            timeout=60,
            max_retries=0,  # the state machine retries
            execution_property=glue.CfnJob.ExecutionPropertyProperty(max_concurrent_runs=2),
            security_configuration=security.name,
            command=glue.CfnJob.JobCommandProperty(name="glueetl", python_version="3", script_location=script_url),
            default_arguments={
                "--job-language": "python",
                "--enable-metrics": "true",
                "--enable-observability-metrics": "true",
                "--enable-continuous-cloudwatch-log": "true",
                # flightpipe as a wheel, nothing from PyPI: Glue 5.0 ships pyarrow and numpy, and the job's Spark
                # SQL was transpiled at build time (flightpipe_infra.spark_sql), so no run needs the internet.
                "--additional-python-modules": wheel_url,
                "--python-modules-installer-option": "--no-deps",
                "--data_url": self.data_url,
                "--database": self.settings.glue_database,
                "--table": "processed",
                "--airports": airports,  # RowsProcessed series for these only
            },
        )
        # The script and wheel must be in the bucket before the job can be created or run.
        self.glue_job.node.add_dependency(self.glue_code)

    def _storage(self, prefix: str, columns: list[dict[str, str]]) -> glue.CfnTable.StorageDescriptorProperty:
        return glue.CfnTable.StorageDescriptorProperty(
            location=f"{self.data_url}/{prefix}",
            columns=[glue.CfnTable.ColumnProperty(name=c["Name"], type=c["Type"]) for c in columns],
            input_format=PARQUET_INPUT_FORMAT,
            output_format=PARQUET_OUTPUT_FORMAT,
            serde_info=glue.CfnTable.SerdeInfoProperty(serialization_library=PARQUET_SERDE),
        )

    # Orchestration ------------------------------------------------------------------------------------------

    def _state_machine(self) -> None:
        f = self.functions
        self.targets = Targets(
            plan_function=f["plan"].function_arn,
            collect_function=f["collect"].function_arn,
            verify_function=f["verify"].function_arn,
            load_function=f["load"].function_arn,
            notify_function=f["notify"].function_arn,
            glue_job=self.glue_job.ref,
            data_url=self.data_url,
            glue_database=self.settings.glue_database,
            glue_table="processed",
            timeout_seconds=self.settings.run_deadline_minutes * 60,
        )
        self.definition = definition(self.targets)
        log_group = logs.LogGroup(
            self, "StateMachineLogs", retention=logs.RetentionDays.THREE_MONTHS, encryption_key=self.key
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=f"{self.settings.prefix}-daily",
            # json.dumps, not Stack.to_json_string: the latter drops None, and a ResultPath of null (keep the
            # state's input) would vanish from the template. The tokens in the text (ARNs, names) become
            # Fn::Join parts; none of their values holds a character JSON would escape.
            definition_body=sfn.DefinitionBody.from_string(json.dumps(self.definition)),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        for name in ("plan", "collect", "verify", "load", "notify"):
            f[name].grant_invoke(self.state_machine)
        glue_job_arn = cdk.Arn.format(
            cdk.ArnComponents(service="glue", resource="job", resource_name=self.glue_job.ref), self
        )
        self.state_machine.add_to_role_policy(
            iam.PolicyStatement(
                actions=["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"],
                resources=[glue_job_arn],
            )
        )

    def _schedule_and_rules(self) -> None:
        self.schedule = events.Rule(
            self,
            "DailySchedule",
            description="Starts the flightpipe run for yesterday",
            schedule=events.Schedule.expression(f"cron({self.settings.schedule_cron})"),
            targets=[
                targets.SfnStateMachine(
                    self.state_machine, input=events.RuleTargetInput.from_object({"time": events.EventField.time})
                )
            ],
        )
        # One mail per problem. The notify function mails every run that reaches NotifyFailure, NotifyPartial or
        # NotifyQualityFailure (a failed Glue job or load statement is caught there), in the local alerts'
        # wording. EventBridge mails only what notify cannot: an execution that timed out or was aborted, or
        # failed where no Catch reaches (States.Runtime) or while notifying. Input transformers make them text.
        machine = self.state_machine.state_machine_arn
        self.rules = {
            "RunStopped": events.Rule(
                self,
                "ExecutionStoppedRule",
                description="A flightpipe run timed out (its deadline) or was aborted: notify never ran",
                event_pattern=events.EventPattern(
                    source=["aws.states"],
                    detail_type=["Step Functions Execution Status Change"],
                    detail={"status": ["TIMED_OUT", "ABORTED"], "stateMachineArn": [machine]},
                ),
                targets=[targets.SnsTopic(self.topic, message=self._stopped_mail())],
            ),
            "RunFailedUnnotified": events.Rule(
                self,
                "ExecutionFailedUnnotifiedRule",
                description="A flightpipe run failed where the state machine could not send its own alert",
                event_pattern=events.EventPattern(
                    source=["aws.states"],
                    detail_type=["Step Functions Execution Status Change"],
                    detail={"status": ["FAILED"], "stateMachineArn": [machine], "error": list(UNNOTIFIED_ERRORS)},
                ),
                targets=[targets.SnsTopic(self.topic, message=self._unnotified_mail())],
            ),
        }

    def _stopped_mail(self) -> events.RuleTargetInput:
        field = events.EventField.from_path
        return events.RuleTargetInput.from_multiline_text(
            f"flightpipe run {field('$.detail.name')} {field('$.detail.status')}: the run started at "
            f"{field('$.detail.startDate')} (epoch ms) did not finish within its deadline of "
            f"{self.settings.run_deadline_minutes} min, or was stopped\n\n"
            "What to do: see which step is slow in the execution's history "
            f"({field('$.detail.executionArn')}); a source that answers slowly or rate-limits is the usual cause; "
            'start the day again with the input {"date": "YYYY-MM-DD"} (docs/aws.md, "Backfill on AWS")\n\n'
            f"event:    {names.RUN_FAILED}\n"
            f"state:    {names.RUN_STATE_FAILED}\n"
            f"stage:    {self.settings.stage}\n"
            f"time:     {field('$.time')}"
        )

    def _unnotified_mail(self) -> events.RuleTargetInput:
        field = events.EventField.from_path
        return events.RuleTargetInput.from_multiline_text(
            f"flightpipe run {field('$.detail.name')} failed: {field('$.detail.error')}: "
            f"{field('$.detail.cause')}\n\n"
            "What to do: the run failed where the state machine could not send its own alert; see the error and "
            f"the execution's history ({field('$.detail.executionArn')}), fix the cause, then start the day "
            'again with the input {"date": "YYYY-MM-DD"} (docs/aws.md, "Backfill on AWS")\n\n'
            f"event:    {names.RUN_FAILED}\n"
            f"state:    {names.RUN_STATE_FAILED}\n"
            f"stage:    {self.settings.stage}\n"
            f"time:     {field('$.time')}"
        )

    def _alarms_and_dashboard(self) -> None:
        action = cw_actions.SnsAction(self.topic)
        five_min = cdk.Duration.minutes(5)
        self.alarms = {
            # The daily heartbeat: no run succeeded for 26 hours (13 two-hour periods with no success, no data
            # counted as none). It covers a schedule that stopped firing, and days that all fail.
            "NoSuccess": self.state_machine.metric_succeeded(
                period=cdk.Duration.hours(2), statistic="Sum"
            ).create_alarm(
                self,
                "NoRunSucceededAlarm",
                alarm_name=f"{self.settings.prefix}-no-run-succeeded-26h",
                alarm_description=(
                    f"flightpipe ({self.settings.stage}): no run has succeeded in 26 hours. What to do: see the "
                    "last executions of the state machine and their alerts; check that the schedule rule is "
                    'enabled; start a day again with the input {"date": "YYYY-MM-DD"} (docs/aws.md)'
                ),
                threshold=1,
                comparison_operator=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
                evaluation_periods=NO_SUCCESS_PERIODS,
                datapoints_to_alarm=NO_SUCCESS_PERIODS,
                treat_missing_data=cw.TreatMissingData.BREACHING,
            ),
            "TransformFailures": self.transform_failures.metric_approximate_number_of_messages_visible(
                period=five_min, statistic="Maximum"
            ).create_alarm(
                self,
                "TransformFailuresQueuedAlarm",
                alarm_name=f"{self.settings.prefix}-transform-failures",
                alarm_description=(
                    f"flightpipe ({self.settings.stage}): S3 events the transform function failed on, after its "
                    "retries, are in the on-failure queue. What to do: read a message for the raw key and the "
                    "error; verify transforms the file in the next run; purge the queue once understood"
                ),
                threshold=1,
                evaluation_periods=1,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            ),
            # A notify that fails is a mail that did not go: the only Lambda whose errors mail by themselves (the
            # others' failures reach notify through the state machine).
            "NotifyErrors": self.functions["notify"]
            .metric_errors(period=five_min)
            .create_alarm(
                self,
                "NotifyErrorsAlarm",
                alarm_name=f"{self.settings.prefix}-notify-errors",
                alarm_description=(
                    f"flightpipe ({self.settings.stage}): the notify function failed, so a run's alert was not "
                    "sent. What to do: see the notify function's log and the last execution's outcome"
                ),
                threshold=1,
                evaluation_periods=1,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            ),
        }
        for alarm in self.alarms.values():
            alarm.add_alarm_action(action)

        day = cdk.Duration.days(1)
        dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=self.settings.prefix)
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Lambda duration (p90)",
                left=[fn.metric_duration(statistic="p90", label=name) for name, fn in self.functions.items()],
                width=12,
            ),
            cw.GraphWidget(
                title="Glue job duration (s)",
                left=[
                    cw.Metric(
                        namespace="Glue",
                        metric_name="glue.driver.aggregate.elapsedTime",
                        dimensions_map={"JobName": self.glue_job.ref, "JobRunId": "ALL", "Type": "count"},
                        statistic="Maximum",
                        label="elapsed ms",
                    )
                ],
                width=12,
            ),
        )
        per_airport = [
            ("Records collected per airport and board", names.RECORDS_COLLECTED, (names.DIM_AIRPORT, names.DIM_BOARD)),
            ("Rows transformed per airport", names.ROWS_TRANSFORMED, (names.DIM_AIRPORT,)),
            ("Records quarantined per airport", names.RECORDS_QUARANTINED, (names.DIM_AIRPORT,)),
            ("Rows processed per airport (Glue)", names.ROWS_PROCESSED, (names.DIM_AIRPORT,)),
            ("Rows loaded per airport", names.ROWS_LOADED, (names.DIM_AIRPORT,)),
        ]
        dashboard.add_widgets(
            *[
                cw.GraphWidget(
                    title=title,
                    left=[cw.MathExpression(expression=search_expression(metric, dims), label=metric, period=day)],
                    width=8,
                )
                for title, metric, dims in per_airport
            ],
        )
        dashboard.add_widgets(
            *(
                cw.SingleValueWidget(
                    title=title,
                    metrics=[
                        cw.Metric(
                            namespace=names.METRICS_NAMESPACE,
                            metric_name=metric,
                            dimensions_map={"service": names.SERVICE},
                            statistic="Sum",
                            period=day,
                        )
                    ],
                    width=6,
                )
                # No alarm on QualityFailures: a gate failure already mails through NotifyQualityFailure.
                for title, metric in (
                    ("Rows loaded into Redshift (last day)", names.ROWS_LOADED),
                    ("Quality fails holding loads (last day)", names.QUALITY_FAILURES),
                )
            ),
            cw.GraphWidget(
                title="Runs",
                left=[
                    self.state_machine.metric_succeeded(period=day),
                    self.state_machine.metric_failed(period=day),
                    self.state_machine.metric_timed_out(period=day),
                ],
                width=12,
            ),
        )


def search_expression(metric: str, dimensions: tuple[str, ...]) -> str:
    """A daily-sum SEARCH over ``metric`` per value of ``dimensions``.

    A SEARCH schema ``{namespace,dim,...}`` matches only metrics with exactly those dimensions, and the
    handlers' metrics carry powertools' ``service`` dimension too (the functions' POWERTOOLS_SERVICE_NAME; the
    Glue job adds it itself), so it is part of every schema."""
    schema = ",".join([names.METRICS_NAMESPACE, *sorted({*dimensions, names.DIM_SERVICE})])
    return f"SEARCH('{{{schema}}} MetricName=\"{metric}\"', 'Sum', 86400)"


def definition_json(stack: FlightpipeStack) -> str:
    """The state machine's definition as the template holds it (tokens resolved by CloudFormation)."""
    return json.dumps(stack.resolve(stack.definition))
