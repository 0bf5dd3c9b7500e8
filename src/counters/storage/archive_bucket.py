"""All S3 access: the archive bucket's objects (the event archive, `counters.archive`).

boto3's client, so that the standard `AWS_ENDPOINT_URL_S3` points it at moto's server
on the local run. DuckDB never reaches S3 itself (its httpfs extension would be
downloaded at run time): objects are read and written here, DuckDB works on local files.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import cache
from typing import Any, Literal

from counters.settings import settings


class ArchiveBucket:
    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name

    def put(self, key: str, body: bytes, content_type: str = "application/octet-stream") -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=body, ContentType=content_type)

    def keys(self, prefix: str, start_after: str = "") -> Iterator[str]:
        """Keys under `prefix` in key order, from after `start_after`; pages of 1,000."""
        for key, _size in self.sized_keys(prefix, start_after):
            yield key

    def sized_keys(self, prefix: str, start_after: str = "") -> Iterator[tuple[str, int]]:
        """Keys under `prefix` with their sizes in bytes, as `keys` lists them."""
        kwargs: dict[str, Any] = {"Bucket": self.name, "Prefix": prefix}
        if start_after:
            kwargs["StartAfter"] = start_after
        for page in self.client.get_paginator("list_objects_v2").paginate(**kwargs):
            for entry in page.get("Contents") or []:
                yield entry["Key"], int(entry.get("Size", 0))

    def folders(self, prefix: str) -> Iterator[str]:
        """The "folders" right under `prefix` (keys' common prefixes up to the next "/")."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.name, Prefix=prefix, Delimiter="/"):
            for entry in page.get("CommonPrefixes") or []:
                yield entry["Prefix"]

    def delete(self, keys: list[str]) -> None:
        """Deletes objects, 1,000 a request (S3's limit); raises if any is left."""
        for start in range(0, len(keys), 1000):
            objects = [{"Key": key} for key in keys[start : start + 1000]]
            answer = self.client.delete_objects(
                Bucket=self.name, Delete={"Objects": objects, "Quiet": True}
            )
            if answer.get("Errors"):
                raise RuntimeError(
                    f"S3 kept {len(answer['Errors'])} objects: {answer['Errors'][0]}"
                )

    def download(self, key: str, path: str) -> None:
        self.client.download_file(self.name, key, path)

    def link(self, key: str, seconds: int, filename: str) -> str:
        """A presigned GET of an object, saved by browsers as `filename`."""
        url: str = self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.name,
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{filename}"',
            },
            ExpiresIn=seconds,
        )
        return url


@cache
def archive_bucket() -> ArchiveBucket:
    """This instance's archive bucket (`ARCHIVE_BUCKET`), its client made once."""
    import boto3
    from botocore.config import Config

    name = settings().archive_bucket
    if not name:
        raise RuntimeError("ARCHIVE_BUCKET is not set: this function has no archive")
    # Path-style on an endpoint of our own (moto's server on 127.0.0.1 has no bucket hosts).
    addressing: Literal["path", "auto"] = (
        "path" if os.environ.get("AWS_ENDPOINT_URL_S3") else "auto"
    )
    config = Config(
        connect_timeout=2,
        read_timeout=10,
        retries={"mode": "standard", "max_attempts": 3},
        s3={"addressing_style": addressing},
        signature_version="s3v4",
    )
    return ArchiveBucket(boto3.client("s3", config=config), name)
