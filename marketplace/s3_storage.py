"""The S3 implementation of `Storage`: a bucket and a prefix, through boto3.

A module of its own so that boto3 (about 0.13 s to import) is loaded only when the settings
name an "s3://" storage: `marketplace.storage.open_storage` imports it on demand, and local
runs never pay for it.

Storage faults: S3 calls use botocore's `standard` retries; what still fails raises
`StorageError` naming the operation and the key (never the credentials), and a missing
object is FileNotFoundError, as on the local backend.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from marketplace.layout import listed_key, safe_key
from marketplace.storage import (
    _CHUNK,
    StorageError,
    StoredObject,
    _folder,
    _publish_file,
    _sorted,
    _storage_errors,
)

_MISSING = {"404", "NoSuchKey", "NotFound"}


@contextmanager
def _s3_errors(operation: str, where: str) -> Iterator[None]:
    """Turn what still fails (botocore has already retried) into a StorageError naming `where`.

    Only the error code or type is kept, never the request (it carries the credentials'
    signature). A local file's OSError (download, upload) goes through `_storage_errors`.
    """
    with _storage_errors(operation, where):
        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            if str(error.get("Code")) in _MISSING:
                raise FileNotFoundError(2, "no such object", where) from exc
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            raise StorageError(operation, where, f"{error.get('Code')} (HTTP {status})") from exc
        except BotoCoreError as exc:
            raise StorageError(operation, where, type(exc).__name__) from exc


class S3Storage:
    """A bucket and a prefix; the boto3 client is passed in (tests point one at moto)."""

    def __init__(self, client: Any, bucket: str, prefix: str = ""):
        self.client = client
        self.bucket = bucket
        self.prefix = safe_key(prefix.strip("/")) if prefix.strip("/") else ""
        self.url = f"s3://{bucket}/{self.prefix}".rstrip("/")

    def list(self, prefix: str) -> list[StoredObject]:
        folder = _folder(prefix)
        full = self._full(folder + "/" if folder else "")
        with _s3_errors("list", f"s3://{self.bucket}/{full}"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=full
            )
            found = [obj for page in pages for obj in page.get("Contents", [])]
        return _sorted(self._stored(obj) for obj in found if not obj["Key"].endswith("/"))

    def read_bytes(self, key: str) -> bytes:
        with _s3_errors("read", self.location(key)):
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()

    def download(self, key: str, dest: Path) -> Path:
        with _s3_errors("download", self.location(key)):
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
            _publish_file(Path(dest), lambda out: shutil.copyfileobj(body, out, _CHUNK))
        return Path(dest)

    def write_bytes(self, key: str, data: bytes) -> str:
        with _s3_errors("write", self.location(key)):
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)
        return self.location(key)

    def upload(self, src: Path, key: str) -> str:
        with _s3_errors("upload", self.location(key)), Path(src).open("rb") as body:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=body)
        return self.location(key)

    def move(self, key: str, new_key: str) -> str:
        return self._copy_then_delete(self._key(key), new_key)

    def move_listed(self, listed: StoredObject, new_key: str) -> str:
        return self._copy_then_delete(self._full(listed_key(listed.key)), new_key)

    def _copy_then_delete(self, full_key: str, new_key: str) -> str:
        """A crash between the copy and the delete leaves both, and the rerun finishes the move.
        A delete that fails takes the copy back when the source is seen still there: the rerun
        moves the file under its own name, and a copy under the failed attempt's name would
        belong to no import. Seen gone (the delete was applied, its answer lost) or not seen
        at all, the copy stays: it may be the only one."""
        source = {"Bucket": self.bucket, "Key": full_key}
        target = self._key(new_key)
        with _s3_errors("move", f"s3://{self.bucket}/{source['Key']}"):
            self.client.copy_object(CopySource=source, Bucket=self.bucket, Key=target)
            try:
                self.client.delete_object(**source)
            except Exception:
                with suppress(Exception):  # the original error is the one to report
                    self.client.head_object(**source)  # raises unless the source is there
                    self.client.delete_object(Bucket=self.bucket, Key=target)
                raise
        return self.location(new_key)

    def delete(self, key: str) -> None:
        with _s3_errors("delete", self.location(key)):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def exists(self, key: str) -> bool:
        try:
            with _s3_errors("exists", self.location(key)):
                self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except FileNotFoundError:
            return False
        return True

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def _key(self, key: str) -> str:
        return self._full(safe_key(key))

    def _full(self, relative: str) -> str:
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def _stored(self, obj: dict[str, Any]) -> StoredObject:
        key = obj["Key"].removeprefix(self._full(""))
        return StoredObject(key, obj["Size"], obj["LastModified"].astimezone(UTC))


def make_s3_client(endpoint_url: str | None) -> Any:
    """A boto3 S3 client with the `standard` retries (5xx, throttling, timeouts) and timeouts.

    Credentials come from boto3's own chain (the standard AWS variables, a role), never from
    the settings. A custom endpoint (MinIO, moto) gets path-style addressing, which every
    S3-compatible server understands.
    """
    config = Config(
        retries={"mode": "standard", "max_attempts": 5},
        connect_timeout=10,
        read_timeout=60,
        s3={"addressing_style": "path"} if endpoint_url else None,
    )
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config)
