"""The event archive's resources in template.yaml: the bucket's protections, least
privilege for its writer, and SQL over it (Glue table with projection, Athena workgroup)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from counters.archive.schema import COLUMNS, PARTITIONS
from local.cfn_template import load_template, parameter_defaults

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
BUCKET = RESOURCES["ArchiveBucket"]


def test_the_bucket_is_encrypted_private_and_kept() -> None:
    props = BUCKET["Properties"]
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert BUCKET["DeletionPolicy"] == "Retain"


def test_the_bucket_refuses_every_request_without_tls() -> None:
    policies = [r for r in RESOURCES.values() if r["Type"] == "AWS::S3::BucketPolicy"]
    (policy,) = [p for p in policies if p["Properties"]["Bucket"] == {"Ref": "ArchiveBucket"}]
    (deny,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert {"Fn::GetAtt": ["ArchiveBucket", "Arn"]} in deny["Resource"]
    assert {"Fn::Sub": "${ArchiveBucket.Arn}/*"} in deny["Resource"]


def test_the_archive_expires_after_the_retention_parameter() -> None:
    rules = {r["Id"]: r for r in BUCKET["Properties"]["LifecycleConfiguration"]["Rules"]}
    archive = rules["ExpireArchive"]
    assert archive["Status"] == "Enabled" and archive["Prefix"] == "site="
    assert archive["ExpirationInDays"] == {"Ref": "ArchiveRetentionDays"}
    assert parameter_defaults(TEMPLATE)["ArchiveRetentionDays"] == "365"
    # Exports and query results are links and scratch: kept days, not the archive's year.
    assert rules["ExpireExports"]["ExpirationInDays"] <= 1
    assert rules["ExpireQueryResults"]["Prefix"] == "athena-results/"


def test_the_writer_may_only_put_archive_objects() -> None:
    function = RESOURCES["ArchiveFunction"]["Properties"]
    (policy,) = function["Policies"]
    (statement,) = policy["Statement"]
    assert statement == {
        "Effect": "Allow",
        "Action": ["s3:PutObject"],
        "Resource": {"Fn::Sub": "${ArchiveBucket.Arn}/site=*"},
    }
    assert function["Environment"]["Variables"]["ARCHIVE_BUCKET"] == {"Ref": "ArchiveBucket"}


def test_the_writer_reads_the_stream_on_a_mapping_of_its_own() -> None:
    function = RESOURCES["ArchiveFunction"]["Properties"]
    (event,) = function["Events"].values()
    props = event["Properties"]
    assert event["Type"] == "DynamoDB"
    assert props["Stream"] == {"Fn::GetAtt": ["CountersTable", "StreamArn"]}
    # A window's hits are one object (counters.archive.window): the longest window there is.
    assert props["TumblingWindowInSeconds"] == 900
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # Many hits an object (S3 bills per PUT): bench/cost.py prices this batching.
    assert props["BatchSize"] == 10000 and props["MaximumBatchingWindowInSeconds"] == 300
    alarms = [r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    watched = [a for a in alarms if a["Dimensions"][0]["Value"] == {"Ref": "ArchiveFunction"}]
    assert [a["MetricName"] for a in watched] == ["IteratorAge"]


def test_the_glue_table_projects_its_partitions_and_lists_the_written_columns() -> None:
    table = RESOURCES["ArchiveTable"]["Properties"]["TableInput"]
    parameters = table["Parameters"]
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.site.type"] == "injected"
    assert parameters["projection.date.type"] == "date"
    assert parameters["projection.date.format"] == "yyyy-MM-dd"
    assert parameters["storage.location.template"] == {
        "Fn::Sub": "s3://${ArchiveBucket}/site=${!site}/date=${!date}/"
    }
    assert [key["Name"] for key in table["PartitionKeys"]] == list(PARTITIONS)
    written = [{"Name": column.name, "Type": column.glue} for column in COLUMNS]
    assert table["StorageDescriptor"]["Columns"] == written
    serde = table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
    assert serde.endswith("ParquetHiveSerDe")
    assert not [r for r in RESOURCES.values() if r["Type"] == "AWS::Glue::Crawler"]


def test_the_workgroup_enforces_encrypted_results_in_the_bucket() -> None:
    config = RESOURCES["ArchiveWorkGroup"]["Properties"]["WorkGroupConfiguration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    results = config["ResultConfiguration"]
    assert results["OutputLocation"] == {"Fn::Sub": "s3://${ArchiveBucket}/athena-results/"}
    assert results["EncryptionConfiguration"]["EncryptionOption"] in ("SSE_S3", "SSE_KMS")
    assert config["BytesScannedCutoffPerQuery"] > 0


ARCHIVE_FUNCTIONS = {
    "ArchiveFunction",
    "CompactFunction",
    "ExportFunction",
    "RebuildFunction",
    "SegmentFunction",
}


def test_only_the_archives_functions_carry_duckdb() -> None:
    """DuckDB is a layer of the archive's functions: the hit function's package, and its cold
    start, do not carry it."""
    functions = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::Function"}
    layered = {name for name, f in functions.items() if f["Properties"].get("Layers")}
    assert layered == ARCHIVE_FUNCTIONS
    for name in ARCHIVE_FUNCTIONS:
        assert functions[name]["Properties"]["Layers"] == [{"Ref": "DuckDBLayer"}]
    layer = RESOURCES["DuckDBLayer"]
    assert layer["Properties"]["ContentUri"] == "layers/duckdb/"
    assert "duckdb==" in (REPO / "layers" / "duckdb" / "requirements.txt").read_text()
    assert "duckdb" not in (REPO / "src" / "requirements.txt").read_text()


def test_the_other_functions_handlers_import_no_duckdb() -> None:
    """The docs function documents the archive's routes (it imports their module) without
    the layer: nothing may import duckdb before a request needs it."""
    handlers = {
        f["Properties"]["Handler"].rpartition(".")[0]
        for f in RESOURCES.values()
        if f["Type"] == "AWS::Serverless::Function"
    }
    code = f"import sys; import {', '.join(sorted(handlers))}; print('duckdb' in sys.modules)"
    found = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": f"{REPO / 'src'}:{REPO}"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == "False", found.stderr
