"""Daily salt items: the random key of a local date's visitor ids."""

from __future__ import annotations

from datetime import date

from counters.storage.keys import SALT_PK, dated_sk
from counters.storage.table import Table, n


class SaltItems:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, day: date) -> bytes | None:
        answer = self.table.send(
            "get_item",
            TableName=self.table.name,
            Key={"pk": {"S": SALT_PK}, "sk": {"S": dated_sk(day)}},
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return bytes(item["salt"]["B"]) if item else None

    def create(self, day: date, salt: bytes, expires_at: int) -> bool:
        """Stores the day's salt unless another request stored one first."""
        try:
            self.table.send(
                "put_item",
                TableName=self.table.name,
                Item={
                    "pk": {"S": SALT_PK},
                    "sk": {"S": dated_sk(day)},
                    "salt": {"B": salt},
                    "expires_at": n(expires_at),
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self.table.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def delete_before(self, day: date) -> None:
        """Deletes old salts now rather than whenever TTL gets to them."""
        answer = self.table.send(
            "query",
            TableName=self.table.name,
            KeyConditionExpression="pk = :pk AND sk < :day",
            ExpressionAttributeValues={":pk": {"S": SALT_PK}, ":day": {"S": dated_sk(day)}},
            ProjectionExpression="sk",
        )
        for item in answer.get("Items", []):
            self.table.send(
                "delete_item",
                TableName=self.table.name,
                Key={"pk": {"S": SALT_PK}, "sk": item["sk"]},
            )
