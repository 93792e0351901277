"""The landing zone behind one interface: a local folder or an S3 bucket, same behaviour.

Flows and loaders only ever see `Storage`, so the whole pipeline runs on a laptop folder
and on the shared S3 landing zone of several workers without a code path of its own; the
tests run one behavioural suite against both (S3 through a real moto server).

Three guarantees live here rather than in every caller (see reliability.md):
- published or not at all: a write is a temporary file renamed into place (local) or a
  single PUT (S3), so a reader never sees half a file;
- one seller's data: every key goes through `safe_key`, so a name holding `..`, `\\`, a NUL
  byte, an absolute path or a drive letter never reaches a path or an object key, and the
  local root refuses symlinks that would lead elsewhere;
- storage faults: S3 calls use botocore's `standard` retries; what still fails raises
  `StorageError` naming the operation and the key (never the credentials).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from stat import S_ISREG
from typing import IO, Any, Protocol, runtime_checkable

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from marketplace.config import Settings
from marketplace.errors import MarketplaceError, Reason

MAX_NAME_CHARS = 120  # safe_file_name's cap: readable in Excel's title bar and in a listing
_NAME_BYTES = 200  # ...and in UTF-8, leaving room for an "<import_id>-" prefix under 255
_SEGMENT_BYTES = 255  # NAME_MAX of the usual local filesystems
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SELLER_ID = re.compile(r"[1-9][0-9]*", re.ASCII)
_TMP_PREFIX = ".tmp-"  # LocalStorage's in-flight files: never listed
_CHUNK = 1024 * 1024


class UnsafeName(MarketplaceError):
    """A key or a file name that could escape its folder or does not fit the layout."""

    code = Reason.UNSAFE_NAME


class StorageError(MarketplaceError):
    """The storage failed for good (retries exhausted): nothing was published."""

    def __init__(self, operation: str, location: str, detail: str):
        super().__init__(f"storage {operation} failed for {location}: {detail}")
        self.operation = operation
        self.location = location


# --- names -------------------------------------------------------------------------------


def safe_key(*parts: str) -> str:
    """Join "/"-separated key parts after checking every segment; raise UnsafeName otherwise."""
    segments = [segment for part in parts for segment in _split(part)]
    if not segments:
        raise UnsafeName("empty key")
    for segment in segments:
        _check_segment(segment)
    return "/".join(segments)


def _split(part: str) -> list[str]:
    if part.startswith("/"):
        raise UnsafeName(f"absolute path: {part!r}")
    return part.split("/")


def _check_segment(segment: str) -> None:
    if segment in ("", ".", ".."):
        raise UnsafeName(f"empty, '.' or '..' segment in key: {segment!r}")
    if "\\" in segment or _CONTROL.search(segment) or _DRIVE.match(segment):
        raise UnsafeName(f"backslash, control character or drive letter in {segment!r}")
    try:
        size = len(segment.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise UnsafeName(f"not valid Unicode: {segment!r}") from exc
    if size > _SEGMENT_BYTES:
        raise UnsafeName(f"name longer than {_SEGMENT_BYTES} bytes: {segment[:40]!r}...")


def safe_file_name(name: str) -> str:
    """A seller's file name made harmless for outputs: letters (accents kept), digits, . - _.

    Anything else becomes "_"; the result is capped (extension kept), never empty and never
    hidden (no leading ".").
    """
    cleaned = "".join(
        ch if ch.isalnum() or ch in ".-_" else "_" for ch in unicodedata.normalize("NFC", name)
    )
    cleaned = _truncate(cleaned)
    if cleaned.startswith("."):
        cleaned = "_" + cleaned[1:]
    return cleaned or "_"


def _truncate(name: str) -> str:
    """Cut the name to the caps, keeping a short extension (the output stays openable)."""
    if _fits(name):
        return name
    stem, dot, ext = name.rpartition(".")
    suffix = dot + ext if stem and len(ext) <= 10 else ""
    body = name[: MAX_NAME_CHARS - len(suffix)]
    while not _fits(body + suffix):
        body = body[:-1]
    return body + suffix


def _fits(name: str) -> bool:
    return len(name) <= MAX_NAME_CHARS and len(name.encode("utf-8")) <= _NAME_BYTES


# --- layout (architecture.md, "Storage layout") ------------------------------------------


class Kind(StrEnum):
    """What a file in the inbox holds; offers and promotions belong to one seller."""

    OFFERS = "offers"
    PROMOTIONS = "promotions"
    SELLERS = "sellers"
    ORDERS = "orders"

    @property
    def per_seller(self) -> bool:
        return self in (Kind.OFFERS, Kind.PROMOTIONS)


_KINDS = frozenset(Kind)


@dataclass(frozen=True)
class InboxItem:
    """One file waiting in the inbox, as its key says: the seller is the folder."""

    kind: Kind
    seller_id: int | None
    name: str


def inbox_key(kind: str, seller_id: int | None, name: str) -> str:
    """inbox/<kind>/<seller_id>/<name> for seller files, inbox/<kind>/<name> for the feeds."""
    kind = Kind(kind)
    if kind.per_seller:
        return safe_key("inbox", kind, str(_positive(seller_id, "seller id")), _name(name))
    if seller_id is not None:
        raise ValueError(f"{kind} files belong to no seller")
    return safe_key("inbox", kind, _name(name))


def archive_key(kind: str, day: date, import_id: int, name: str) -> str:
    """archive/<kind>/<YYYY-MM-DD>/<import_id>-<name>, the name made safe for any backend."""
    import_id = _positive(import_id, "import id")
    return safe_key("archive", Kind(kind), day.isoformat(), f"{import_id}-{safe_file_name(name)}")


def import_report_key(seller: int | str, import_id: int, suffix: str) -> str:
    """outbox/imports/<seller_id or "ops">/<import_id>-<suffix>, e.g. suffix "errors.xlsx"."""
    folder = "ops" if seller == "ops" else str(_positive(seller, "seller id"))
    import_id = _positive(import_id, "import id")
    return safe_key("outbox", "imports", folder, f"{import_id}-{_name(suffix)}")


def parse_inbox_key(key: str) -> InboxItem:
    """Read kind, seller and name back from an inbox key; UnsafeName if off the layout."""
    parts = safe_key(key).split("/")
    if len(parts) >= 3 and parts[0] == "inbox" and parts[1] in _KINDS:
        kind = Kind(parts[1])
        if not kind.per_seller and len(parts) == 3:
            return InboxItem(kind, None, parts[2])
        if kind.per_seller and len(parts) == 4 and _SELLER_ID.fullmatch(parts[2]):
            return InboxItem(kind, int(parts[2]), parts[3])
    raise UnsafeName(f"not an inbox file of the layout (seller folder a number): {key!r}")


def _positive(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{what} must be a positive whole number, got {value!r}")
    return value


def _name(name: str) -> str:
    if "/" in name:
        raise UnsafeName(f"a file name cannot hold '/': {name!r}")
    return safe_key(name)


# --- the interface -----------------------------------------------------------------------


@dataclass(frozen=True)
class StoredObject:
    """One stored file: its key under the root, its size in bytes, its UTC modified time."""

    key: str
    size: int
    modified: datetime


@runtime_checkable
class Storage(Protocol):
    """The landing zone: keys are "/"-separated and relative to `url`."""

    url: str

    def list(self, prefix: str) -> list[StoredObject]:
        """Every object under the folder `prefix` ("" for all), oldest first then by key."""
        ...

    def read_bytes(self, key: str) -> bytes: ...

    def download(self, key: str, dest: Path) -> Path: ...

    def write_bytes(self, key: str, data: bytes) -> str: ...

    def upload(self, src: Path, key: str) -> str: ...

    def move(self, key: str, new_key: str) -> str: ...

    def exists(self, key: str) -> bool: ...

    def location(self, key: str) -> str: ...


def _sorted(objects: Iterator[StoredObject]) -> list[StoredObject]:
    return sorted(objects, key=lambda obj: (obj.modified, obj.key))


def _folder(prefix: str) -> str:
    """A list prefix is a folder: "inbox/offers" and "inbox/offers/" both mean its contents."""
    return safe_key(prefix.removesuffix("/")) if prefix else ""


def _publish_file(dest: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write through a temporary file next to `dest`, then rename: all of it or nothing."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f"{_TMP_PREFIX}{secrets.token_hex(8)}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


_MISSING = {"404", "NoSuchKey", "NotFound"}


@contextmanager
def _storage_errors(operation: str, where: str) -> Iterator[None]:
    """Turn what still fails (botocore has already retried) into a StorageError naming `where`.

    Only the error code or type is kept, never the request (it carries the credentials'
    signature). A missing object stays FileNotFoundError on both backends: it is no fault.
    """
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
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise StorageError(operation, where, exc.strerror or type(exc).__name__) from exc


# --- local folder ------------------------------------------------------------------------


class LocalStorage:
    """A folder on disk (the default `./data/store`, or a share mounted by every worker)."""

    def __init__(self, root: Path):
        self.root = Path(root).absolute()
        self.url = str(self.root)

    def list(self, prefix: str) -> list[StoredObject]:
        folder = _folder(prefix)
        base = self._path(folder) if folder else self.root
        with _storage_errors("list", str(base)):
            return _sorted(self._walk(base))

    def read_bytes(self, key: str) -> bytes:
        path = self._path(key)
        with _storage_errors("read", str(path)):
            return path.read_bytes()

    def download(self, key: str, dest: Path) -> Path:
        path = self._path(key)
        with _storage_errors("download", str(path)), path.open("rb") as src:
            _publish_file(Path(dest), lambda out: shutil.copyfileobj(src, out, _CHUNK))
        return Path(dest)

    def write_bytes(self, key: str, data: bytes) -> str:
        path = self._path(key)
        with _storage_errors("write", str(path)):
            _publish_file(path, lambda out: out.write(data))
        return str(path)

    def upload(self, src: Path, key: str) -> str:
        path = self._path(key)
        with _storage_errors("upload", str(path)), Path(src).open("rb") as source:
            _publish_file(path, lambda out: shutil.copyfileobj(source, out, _CHUNK))
        return str(path)

    def move(self, key: str, new_key: str) -> str:
        """A rename: atomic on one filesystem; an existing target is replaced."""
        source, target = self._path(key), self._path(new_key)
        with _storage_errors("move", str(source)):
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
        return str(target)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def location(self, key: str) -> str:
        return str(self._path(key))

    def _path(self, key: str) -> Path:
        """The key's path, refused when a symlink on the way would lead elsewhere."""
        parts = safe_key(key).split("/")
        real_root = self.root.resolve()
        if self.root.joinpath(*parts).resolve() != real_root.joinpath(*parts):
            raise UnsafeName(f"a symbolic link leads {key!r} out of its folder")
        return self.root.joinpath(*parts)

    def _walk(self, base: Path) -> Iterator[StoredObject]:
        """Regular files only: symlinks are skipped, and an unreadable folder is an error."""
        if not base.is_dir():
            return
        for folder, _dirs, files in os.walk(base, onerror=_reraise):  # links not followed
            for name in files:
                path = Path(folder, name)
                try:
                    stat = path.lstat()
                except FileNotFoundError:  # moved away meanwhile by another worker
                    continue
                if name.startswith(_TMP_PREFIX) or not S_ISREG(stat.st_mode):
                    continue
                modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
                key = path.relative_to(self.root).as_posix()
                yield StoredObject(key, stat.st_size, modified)


def _reraise(error: OSError) -> None:
    raise error


# --- S3 ----------------------------------------------------------------------------------


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
        with _storage_errors("list", f"s3://{self.bucket}/{full}"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=full
            )
            found = [obj for page in pages for obj in page.get("Contents", [])]
        return _sorted(self._stored(obj) for obj in found if not obj["Key"].endswith("/"))

    def read_bytes(self, key: str) -> bytes:
        with _storage_errors("read", self.location(key)):
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()

    def download(self, key: str, dest: Path) -> Path:
        with _storage_errors("download", self.location(key)):
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
            _publish_file(Path(dest), lambda out: shutil.copyfileobj(body, out, _CHUNK))
        return Path(dest)

    def write_bytes(self, key: str, data: bytes) -> str:
        with _storage_errors("write", self.location(key)):
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)
        return self.location(key)

    def upload(self, src: Path, key: str) -> str:
        with _storage_errors("upload", self.location(key)), Path(src).open("rb") as body:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=body)
        return self.location(key)

    def move(self, key: str, new_key: str) -> str:
        """Copy then delete: a crash in between leaves both, and the rerun finishes the move."""
        source = {"Bucket": self.bucket, "Key": self._key(key)}
        target = self._key(new_key)
        with _storage_errors("move", self.location(key)):
            self.client.copy_object(CopySource=source, Bucket=self.bucket, Key=target)
            self.client.delete_object(**source)
        return self.location(new_key)

    def exists(self, key: str) -> bool:
        try:
            with _storage_errors("exists", self.location(key)):
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


def open_storage(settings: Settings) -> Storage:
    """The storage the settings name: "s3://bucket/prefix" or a local folder."""
    if settings.storage.startswith("s3://"):
        bucket, _, prefix = settings.storage.removeprefix("s3://").partition("/")
        if not bucket:
            raise ValueError("MARKETPLACE_STORAGE names no bucket")
        return S3Storage(make_s3_client(settings.s3_endpoint_url), bucket, prefix)
    return LocalStorage(Path(settings.storage))
