"""This function instance's DynamoDB client, made for a short cold start.

botocore makes it, not boto3: importing boto3 (and s3transfer with it) would add
~15 ms to a cold start for nothing a client needs. Where boto3 is loaded already
(the local run, the tests), its default session makes it, so that hooks
registered there hear this client too.
"""

from __future__ import annotations

import sys
from typing import Any

from counters.settings import settings


def dynamodb_client() -> Any:
    """The client `Storage` sends with; it never retries by itself (see `table`)."""
    from botocore.config import Config

    config = settings()
    client_config = Config(
        connect_timeout=config.dynamodb_connect_timeout,
        read_timeout=config.dynamodb_read_timeout,
        retries={"mode": "standard", "total_max_attempts": 1},
    )
    boto3 = sys.modules.get("boto3")
    if boto3 is not None:
        return boto3.client("dynamodb", config=client_config)
    return dynamodb_session().create_client("dynamodb", config=client_config)


def dynamodb_session() -> Any:
    """A botocore session that knows of DynamoDB only.

    To check a service name before loading its model, botocore lists every service
    it ships (~400 folders, ~2,700 file checks: ~20 ms of cold start, measured by
    `python -m bench`). This session answers that list with the one service it makes.
    """
    import botocore.loaders
    import botocore.session

    class DynamoDBOnlyLoader(botocore.loaders.Loader):
        def list_available_services(self, type_name: str) -> list[str]:
            return ["dynamodb"]

    session = botocore.session.get_session()
    usual = botocore.loaders.create_loader(session.get_config_variable("data_path"))
    session.register_component(
        "data_loader",
        DynamoDBOnlyLoader(
            extra_search_paths=usual.search_paths, include_default_search_paths=False
        ),
    )
    return session
