"""Read tokens of private reports: issued, checked, listed and revoked.

A token is 32 random bytes (URL-safe base64, shown once, when issued). Only its
SHA-256 is stored, as the sort key of an item in the site's own partition:

| item         | pk          | sk             | attributes                      |
|--------------|-------------|----------------|---------------------------------|
| report token | SITE#{site} | TOKEN#{sha256} | id, label, created (ISO instant) |

so checking a token is one GetItem by the hash of what the caller sent: the
lookup never compares secrets, and the stored hash is compared again with
`hmac.compare_digest`. A token's public id is the first 16 hex digits of its
hash (listed, and used to revoke it); the hash of a random 256-bit secret tells
nothing about the secret. Revoking deletes the item: the next read with that
token is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from counters.storage import Storage
from counters.storage.keys import TOKEN_PREFIX, site_pk

ID_LENGTH = 16
ID_PATTERN = r"^[0-9a-f]{16}$"
# A token is 43 URL-safe base64 characters; anything much longer is refused unread.
MAX_TOKEN_LENGTH = 64
UNUSABLE = "-"
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class TokenInfo(BaseModel):
    """A report token as listed: never the token itself."""

    id: str = Field(description="The token's public id (revoke it with this).")
    label: str = Field(description="What the operator said the token is for.")
    created: str = Field(description="When it was issued (UTC, ISO 8601).")


class IssuedToken(TokenInfo):
    token: str = Field(description="The read token: shown once, stored only as its hash.")


class TokenRequest(BaseModel):
    label: str = Field("", max_length=200, description="What the token is for, e.g. who has it.")


class MissingTokenError(PermissionError):
    """A private site's report was asked for without a token (401)."""


class InvalidTokenError(PermissionError):
    """The token is not a live token of this site (403)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


class ReportTokens:
    def __init__(self, storage: Storage) -> None:
        # Token requests are idempotent: they go through Storage's retrying `send`.
        self.storage = storage

    def _key(self, site: str, digest: str) -> dict[str, Any]:
        return {"pk": {"S": site_pk(site)}, "sk": {"S": TOKEN_PREFIX + digest}}

    def issue(self, site: str, label: str = "") -> IssuedToken:
        token = secrets.token_urlsafe(32)
        digest = token_hash(token)
        created = datetime.now(UTC).replace(microsecond=0).isoformat()
        item = {
            **self._key(site, digest),
            "id": {"S": digest[:ID_LENGTH]},
            "label": {"S": label},
            "created": {"S": created},
        }
        self.storage.table.send("put_item", TableName=self.storage.table.name, Item=item)
        return IssuedToken(id=digest[:ID_LENGTH], label=label, created=created, token=token)

    def live(self, site: str) -> list[TokenInfo]:
        """The site's live tokens, oldest first: one Query (paged past 1 MB)."""
        items = self.storage.table.query_all(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": {"S": site_pk(site)}, ":prefix": {"S": TOKEN_PREFIX}},
        )
        tokens = [
            TokenInfo(id=i["id"]["S"], label=i["label"]["S"], created=i["created"]["S"])
            for i in items
        ]
        return sorted(tokens, key=lambda t: (t.created, t.id))

    def revoke(self, site: str, token_id: str) -> bool:
        """Deletes the token with this id; False if there was none (two requests)."""
        items = list(
            self.storage.table.query_all(
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues={
                    ":pk": {"S": site_pk(site)},
                    ":prefix": {"S": TOKEN_PREFIX + token_id},
                },
                ProjectionExpression="pk, sk",
            )
        )
        for item in items:
            self.storage.table.send("delete_item", TableName=self.storage.table.name, Key=item)
        return bool(items)

    def check(self, site: str, token: str | None) -> None:
        """Raises unless `token` is a live read token of `site` (one GetItem)."""
        if not token:
            raise MissingTokenError(
                f"the reports of site {site!r} are private: send a read token "
                "(Authorization: Bearer TOKEN)"
            )
        refused = InvalidTokenError("the read token is not valid for this site (wrong or revoked)")
        if not _TOKEN_SHAPE.match(token):
            raise refused
        digest = token_hash(token)
        answer = self.storage.table.send(
            "get_item",
            TableName=self.storage.table.name,
            Key=self._key(site, digest),
            ProjectionExpression="sk",
        )
        stored = answer.get("Item", {}).get("sk", {}).get("S", "")
        if not hmac.compare_digest(stored.encode(), (TOKEN_PREFIX + digest).encode()):
            raise refused


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer ...` header (bounded before any parsing).

    None when there is no header; a header that is not a bearer token gives a value
    `check` refuses as invalid, not as missing.
    """
    if not authorization:
        return None
    if len(authorization) > MAX_TOKEN_LENGTH + 20:
        return UNUSABLE
    scheme, _, value = authorization.strip().partition(" ")
    return value.strip() or UNUSABLE if scheme.lower() == "bearer" else UNUSABLE
