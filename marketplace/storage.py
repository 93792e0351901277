"""The landing zone behind one interface, and its local-folder implementation.

Flows and loaders only ever see `Storage`, so the whole pipeline runs on a laptop folder
and on the shared S3 landing zone of several workers without a code path of its own; the
tests run one behavioural suite against both (S3 through a real moto server). The keys
themselves are built and checked in `marketplace.layout`; the S3 backend lives in
`marketplace.s3_storage`, imported by `open_storage` only for an "s3://" URL, because boto3
alone takes about 0.13 s to import and a local run (`validate offers`) must answer fast.

Guarantees that live here rather than in every caller (see reliability.md):
- published or not at all: a write is a temporary file renamed into place (local) or a
  single PUT (S3), so a reader never sees half a file;
- one seller's data: every key goes through `layout.safe_key`, and the local root refuses
  symlinks that would lead elsewhere;
- storage faults: what fails for good raises `StorageError` naming the operation and the
  key (never the credentials).
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISREG
from typing import IO, Protocol, runtime_checkable

from marketplace.config import Settings
from marketplace.errors import MarketplaceError
from marketplace.layout import UnsafeName, listed_key, safe_key

log = logging.getLogger(__name__)
_TMP_PREFIX = ".tmp-"  # LocalStorage's in-flight files: never listed
_CHUNK = 1024 * 1024


class StorageError(MarketplaceError):
    """The storage failed for good (retries exhausted): nothing was published."""

    def __init__(self, operation: str, location: str, detail: str):
        super().__init__(f"storage {operation} failed for {location}: {detail}")
        self.operation = operation
        self.location = location


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

    def move_listed(self, listed: StoredObject, new_key: str) -> str:
        """Move an object this storage's listing returned, whatever its name (`listed_key`):
        how the inbox puts aside a file whose name no other operation accepts."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the object; a key already gone is no error (a rerun deletes again)."""
        ...

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


@contextmanager
def _storage_errors(operation: str, where: str) -> Iterator[None]:
    """Turn a failing file operation into a StorageError naming `where`.

    A missing file stays FileNotFoundError (on both backends: it is no fault). The S3
    backend wraps this with its own botocore mapping, for the local file it reads or writes.
    """
    try:
        yield
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise StorageError(operation, where, exc.strerror or type(exc).__name__) from exc


# --- local folder ------------------------------------------------------------------------


def _under_a_file(root: Path) -> bool:
    """Whether `root`, or the nearest of its folders that exists, is a file: no folder can ever
    be made there (a missing one is only a fresh machine's storage, made at the first write)."""
    existing = next((path for path in (root, *root.parents) if path.exists()), None)
    return existing is not None and not existing.is_dir()


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
        return self._rename(self._path(key), new_key)

    def move_listed(self, listed: StoredObject, new_key: str) -> str:
        return self._rename(self._path(listed.key, listed=True), new_key)

    def _rename(self, source: Path, new_key: str) -> str:
        """A rename: atomic on one filesystem; an existing target is replaced."""
        target = self._path(new_key)
        with _storage_errors("move", str(source)):
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
        return str(target)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        with _storage_errors("delete", str(path)):
            path.unlink(missing_ok=True)

    def location(self, key: str) -> str:
        return str(self._path(key))

    def _path(self, key: str, listed: bool = False) -> Path:
        """The key's path, refused when a symlink on the way would lead elsewhere; `listed`: a
        key a listing returned (`listed_key`), whatever characters its name holds."""
        parts = (listed_key(key) if listed else safe_key(key)).split("/")
        real_root = self.root.resolve()
        if self.root.joinpath(*parts).resolve() != real_root.joinpath(*parts):
            raise UnsafeName(f"a symbolic link leads {key!r} out of its folder")
        return self.root.joinpath(*parts)

    def _walk(self, base: Path) -> Iterator[StoredObject]:
        """Regular files only: symlinks are skipped, and an unreadable folder is an error. A
        missing folder holds nothing; anything else than a folder there (the storage setting
        naming a file) is an error, not an empty inbox."""
        if not base.is_dir():
            if base.exists() or _under_a_file(self.root):
                raise StorageError("list", str(base), "not a folder")
            return
        for folder, dirs, files in os.walk(base, onerror=_reraise):  # links not followed
            for name in dirs:
                if Path(folder, name).is_symlink():  # skipped, but never without a trace
                    log.warning("storage: a link to a folder is not followed, left where it is: %s",
                                Path(folder, name).relative_to(self.root).as_posix())
            for name in files:
                path = Path(folder, name)
                try:
                    stat = path.lstat()
                except FileNotFoundError:  # moved away meanwhile by another worker
                    continue
                if name.startswith(_TMP_PREFIX):
                    continue
                if not S_ISREG(stat.st_mode):  # a link, a pipe: never read, said to ops
                    log.warning("storage: not a regular file (a link or a pipe), left where it is: %s",
                                path.relative_to(self.root).as_posix())
                    continue
                modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
                key = path.relative_to(self.root).as_posix()
                yield StoredObject(key, stat.st_size, modified)


def _reraise(error: OSError) -> None:
    raise error


def open_storage(settings: Settings) -> Storage:
    """The storage the settings name: "s3://bucket/prefix" or a local folder."""
    if settings.storage.startswith("s3://"):
        from marketplace.s3_storage import S3Storage, make_s3_client  # boto3: only when used

        bucket, _, prefix = settings.storage.removeprefix("s3://").partition("/")
        if not bucket:
            raise ValueError("MARKETPLACE_STORAGE names no bucket")
        return S3Storage(make_s3_client(settings.s3_endpoint_url), bucket, prefix)
    return LocalStorage(Path(settings.storage))
