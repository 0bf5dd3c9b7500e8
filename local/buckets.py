"""The template's S3 buckets, made locally: on moto (mock or server), named from their ids.

A bucket's ``!Ref`` resolves to :func:`bucket_names`' name for it (as a table's resolves
to its table name), so the functions' ``ARCHIVE_BUCKET`` names the bucket made here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from local.cfn_template import load_template, resources


def bucket_names(template: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Logical id -> the local bucket's name (S3 names are lower case)."""
    template = template if template is not None else load_template()
    return {
        logical_id: f"local-{logical_id.lower()}"
        for logical_id in resources(template, "AWS::S3::Bucket")
    }


def create_buckets(client: Any, template: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Make the template's buckets with a boto3 S3 ``client`` (those that exist are kept)."""
    names = bucket_names(template)
    for name in names.values():
        try:
            client.create_bucket(Bucket=name)
        except (
            client.exceptions.BucketAlreadyOwnedByYou,
            client.exceptions.BucketAlreadyExists,
        ):
            continue
    return names
