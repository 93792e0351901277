"""The storage layer: one behavioural suite run on a local folder and on S3 (a moto server).

Both backends must behave alike, since the pipeline only sees `Storage`; what only one of
them can do wrong (a half-written local file, a symlink out of the root, an S3 fault) has
its own tests below the shared ones.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from hypothesis import given
from hypothesis import strategies as st

from marketplace import storage as storage_module
from marketplace.config import Settings
from marketplace.layout import (
    MAX_NAME_CHARS,
    InboxItem,
    Kind,
    UnsafeName,
    archive_key,
    import_report_key,
    inbox_key,
    parse_inbox_key,
    safe_file_name,
    safe_key,
)
from marketplace.s3_storage import S3Storage, make_s3_client
from marketplace.storage import LocalStorage, Storage, StorageError, open_storage

UNSAFE_KEYS = [
    "",
    "../secret",
    "inbox/../../etc/passwd",
    "inbox/./x.csv",
    "/etc/passwd",
    "inbox//x.csv",
    "inbox/x.csv/",
    "inbox\\..\\x.csv",
    "inbox/x\x00.csv",
    "C:/Windows/x.csv",
    "inbox/c:x.csv",
    "inbox/" + "é" * 200 + ".csv",
]


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    """Each shared test runs once per backend; S3 keys go under a prefix, as in production."""
    if request.param == "local":
        return LocalStorage(tmp_path / "store")
    client = request.getfixturevalue("s3_client")
    return S3Storage(client, request.getfixturevalue("s3_bucket"), "landing")


# --- shared behaviour --------------------------------------------------------------------


def test_both_backends_implement_the_interface(storage: Storage) -> None:
    assert isinstance(storage, Storage)


def test_write_then_read(storage: Storage) -> None:
    key = "outbox/imports/42/7-errors.csv"
    assert storage.write_bytes(key, b"sku;error\n") == storage.location(key)
    assert storage.read_bytes(key) == b"sku;error\n"
    assert storage.exists(key)
    assert not storage.exists("outbox/imports/42/8-errors.csv")


def test_a_rerun_replaces_the_file(storage: Storage) -> None:
    storage.write_bytes("outbox/report.csv", b"first")
    storage.write_bytes("outbox/report.csv", b"second")
    assert storage.read_bytes("outbox/report.csv") == b"second"
    assert [obj.key for obj in storage.list("outbox")] == ["outbox/report.csv"]


def test_upload_then_download(storage: Storage, tmp_path: Path) -> None:
    src = tmp_path / "offres été.xlsx"
    src.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 100)
    location = storage.upload(src, "inbox/offers/42/offres été.xlsx")
    assert location == storage.location("inbox/offers/42/offres été.xlsx")
    dest = tmp_path / "work" / "copy.xlsx"
    assert storage.download("inbox/offers/42/offres été.xlsx", dest) == dest
    assert dest.read_bytes() == src.read_bytes()


def test_list_is_recursive_and_oldest_first(storage: Storage) -> None:
    storage.write_bytes("inbox/offers/7/zz-first.csv", b"1")
    time.sleep(1.1)  # S3 dates objects to the second
    storage.write_bytes("inbox/offers/42/aa-second.csv", b"22")
    storage.write_bytes("outbox/elsewhere.csv", b"3")
    listed = storage.list("inbox")
    assert [obj.key for obj in listed] == [
        "inbox/offers/7/zz-first.csv",
        "inbox/offers/42/aa-second.csv",
    ]
    assert [obj.size for obj in listed] == [1, 2]
    assert all(obj.modified.tzinfo is UTC for obj in listed)


def test_list_prefix_is_a_folder(storage: Storage) -> None:
    storage.write_bytes("inbox/offers/42/a.csv", b"a")
    storage.write_bytes("inbox/offers-old/b.csv", b"b")
    assert [obj.key for obj in storage.list("inbox/offers")] == ["inbox/offers/42/a.csv"]
    assert [obj.key for obj in storage.list("inbox/offers/")] == ["inbox/offers/42/a.csv"]
    assert len(storage.list("")) == 2
    assert storage.list("inbox/promotions") == []


def test_move(storage: Storage) -> None:
    storage.write_bytes("inbox/offers/42/file.csv", b"data")
    new_key = "archive/offers/2024-03-05/17-file.csv"
    assert storage.move("inbox/offers/42/file.csv", new_key) == storage.location(new_key)
    assert not storage.exists("inbox/offers/42/file.csv")
    assert storage.read_bytes(new_key) == b"data"


def test_an_object_listed_under_a_name_no_key_takes_can_be_moved_out(
        storage: Storage, tmp_path: Path) -> None:
    """A backslash or `C:` is a character of a name in a POSIX folder and on S3 (an uploader
    that joined a Windows path): `move` refuses such a key, `move_listed` moves what the
    listing returned, so the inbox can put it aside; `..` stays refused even so."""
    name = "C:\\Users\\me\\offres.csv"
    if isinstance(storage, LocalStorage):
        folder = tmp_path / "store" / "inbox" / "offers" / "7"
        folder.mkdir(parents=True)
        (folder / name).write_bytes(b"data")
    else:
        storage.client.put_object(Bucket=storage.bucket, Key=f"landing/inbox/offers/7/{name}",
                                  Body=b"data")
    [listed] = storage.list("inbox/")
    assert listed.key == f"inbox/offers/7/{name}"
    with pytest.raises(UnsafeName):
        storage.move(listed.key, "archive/refused/x.csv")
    assert storage.move_listed(listed, "archive/refused/x.csv") == storage.location(
        "archive/refused/x.csv")
    assert [obj.key for obj in storage.list("")] == ["archive/refused/x.csv"]
    with pytest.raises(UnsafeName):
        storage.move_listed(replace(listed, key="inbox/../archive/refused/x.csv"), "archive/y.csv")


def test_delete_is_idempotent(storage: Storage) -> None:
    storage.write_bytes("outbox/quality/2026-11-21/sellers/2.xlsx", b"old")
    storage.write_bytes("outbox/quality/2026-11-21/sellers/1.xlsx", b"kept")
    storage.delete("outbox/quality/2026-11-21/sellers/2.xlsx")
    storage.delete("outbox/quality/2026-11-21/sellers/2.xlsx")  # gone already: no error
    assert [o.key for o in storage.list("outbox/quality")] == [
        "outbox/quality/2026-11-21/sellers/1.xlsx"]


def test_missing_object_is_file_not_found(storage: Storage, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        storage.read_bytes("inbox/none.csv")
    with pytest.raises(FileNotFoundError):
        storage.download("inbox/none.csv", tmp_path / "none.csv")
    with pytest.raises(FileNotFoundError):
        storage.move("inbox/none.csv", "archive/none.csv")
    assert not (tmp_path / "none.csv").exists()


def _every_use(storage: Storage, key: str, tmp_path: Path) -> list[Callable[[], object]]:
    src = tmp_path / "src.csv"
    src.write_bytes(b"x")
    return [
        lambda: storage.write_bytes(key, b"x"),
        lambda: storage.upload(src, key),
        lambda: storage.read_bytes(key),
        lambda: storage.download(key, tmp_path / "dest.csv"),
        lambda: storage.move(key, "archive/x.csv"),
        lambda: storage.move("inbox/x.csv", key),
        lambda: storage.exists(key),
        lambda: storage.location(key),
    ]


@pytest.mark.parametrize("key", UNSAFE_KEYS)
def test_unsafe_keys_never_reach_the_storage(storage: Storage, key: str, tmp_path: Path) -> None:
    storage.write_bytes("inbox/x.csv", b"kept")
    for use in _every_use(storage, key, tmp_path):
        with pytest.raises(UnsafeName):
            use()
    if key and not key.endswith("/"):  # list("") is the whole root, "a/" the folder a
        with pytest.raises(UnsafeName):
            storage.list(key)
    assert [obj.key for obj in storage.list("")] == ["inbox/x.csv"]


# --- local folder ------------------------------------------------------------------------


def test_local_url_and_location(tmp_path: Path) -> None:
    local = LocalStorage(tmp_path)
    assert local.url == str(tmp_path)
    assert local.location("inbox/sellers/a.csv") == str(tmp_path / "inbox" / "sellers" / "a.csv")


def test_local_write_failing_midway_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = LocalStorage(tmp_path)
    local.write_bytes("outbox/report.csv", b"old complete report")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage_module.os, "fsync", disk_full)
    with pytest.raises(StorageError, match="outbox/report.csv"):
        local.write_bytes("outbox/report.csv", b"new report, half written")
    with pytest.raises(StorageError):
        local.write_bytes("outbox/new.csv", b"never visible")
    assert os.listdir(tmp_path / "outbox") == ["report.csv"]
    assert local.read_bytes("outbox/report.csv") == b"old complete report"


def test_local_in_flight_files_are_not_listed(tmp_path: Path) -> None:
    local = LocalStorage(tmp_path)
    local.write_bytes("inbox/orders/2024-03-05.csv", b"x")
    (tmp_path / "inbox" / "orders" / ".tmp-0123456789abcdef.part").write_bytes(b"half")
    assert [obj.key for obj in local.list("inbox")] == ["inbox/orders/2024-03-05.csv"]


def test_local_symlinks_never_lead_out(tmp_path: Path, caplog) -> None:
    outside = tmp_path / "other-seller"
    outside.mkdir()
    (outside / "secret.csv").write_bytes(b"not yours")
    local = LocalStorage(tmp_path / "store")
    local.write_bytes("inbox/offers/42/own.csv", b"mine")
    (tmp_path / "store" / "inbox" / "offers" / "43").symlink_to(outside)
    (tmp_path / "store" / "inbox" / "offers" / "42" / "link.csv").symlink_to(outside / "secret.csv")
    assert [obj.key for obj in local.list("inbox")] == ["inbox/offers/42/own.csv"]
    # skipped, but said: nothing a seller sent goes without a trace
    said = " ".join(record.getMessage() for record in caplog.records)
    assert "inbox/offers/43" in said and "inbox/offers/42/link.csv" in said
    for key in ("inbox/offers/43/secret.csv", "inbox/offers/42/link.csv"):
        with pytest.raises(UnsafeName):
            local.read_bytes(key)
    with pytest.raises(UnsafeName):
        local.write_bytes("inbox/offers/43/planted.csv", b"x")
    assert sorted(os.listdir(outside)) == ["secret.csv"]


# --- S3 ----------------------------------------------------------------------------------


class _RawBody:
    """Just enough of a urllib3 response for botocore to parse an injected error."""

    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def _fail_put(client: Any, failures: int) -> list[str]:
    """Answer the first `failures` PutObject attempts with an HTTP 500; returns the calls."""
    calls: list[str] = []

    def before_send(request: Any, **_: Any) -> AWSResponse | None:
        calls.append(request.url)
        if len(calls) > failures:
            return None
        body = b"<Error><Code>InternalError</Code><Message>injected</Message></Error>"
        return AWSResponse(request.url, 500, {}, _RawBody(body))

    client.meta.events.register("before-send.s3.PutObject", before_send)
    return calls


@pytest.mark.parametrize("operation", ["write_bytes", "upload"])
def test_s3_transient_fault_is_retried(
    s3_client: Any, s3_bucket: str, tmp_path: Path, operation: str
) -> None:
    s3 = S3Storage(s3_client, s3_bucket, "landing")
    calls = _fail_put(s3_client, failures=1)
    src = tmp_path / "report.csv"
    src.write_bytes(b"report")
    if operation == "write_bytes":
        s3.write_bytes("outbox/report.csv", b"report")
    else:
        s3.upload(src, "outbox/report.csv")
    assert len(calls) == 2
    assert s3.read_bytes("outbox/report.csv") == b"report"


def test_s3_persistent_fault_raises_storage_error_naming_the_key(
    s3_client: Any, s3_bucket: str
) -> None:
    s3 = S3Storage(s3_client, s3_bucket, "landing")
    calls = _fail_put(s3_client, failures=100)
    with pytest.raises(StorageError, match="landing/outbox/report.csv") as raised:
        s3.write_bytes("outbox/report.csv", b"report")
    assert len(calls) == 6  # the first attempt and botocore's 5 retries, then give up
    assert raised.value.operation == "write"
    assert "testing" not in str(raised.value)  # the credentials never show
    assert not s3.exists("outbox/report.csv")


def test_s3_keys_live_under_the_prefix(s3_client: Any, s3_bucket: str) -> None:
    s3 = S3Storage(s3_client, s3_bucket, "/landing/zone/")
    assert s3.url == f"s3://{s3_bucket}/landing/zone"
    s3.write_bytes("inbox/sellers/registry.csv", b"x")
    s3_client.put_object(Bucket=s3_bucket, Key="landing/zone/inbox/folder-marker/", Body=b"")
    s3_client.put_object(Bucket=s3_bucket, Key="landing/zone-other/x.csv", Body=b"")
    raw = s3_client.list_objects_v2(Bucket=s3_bucket, Prefix="landing/zone/inbox/sellers")
    assert [obj["Key"] for obj in raw["Contents"]] == ["landing/zone/inbox/sellers/registry.csv"]
    assert [obj.key for obj in s3.list("")] == ["inbox/sellers/registry.csv"]


def test_s3_client_retries_and_times_out(moto_server: str, aws_test_env: None) -> None:
    config = make_s3_client(moto_server).meta.config
    assert config.retries["mode"] == "standard"
    assert config.retries["total_max_attempts"] == 6  # max_attempts=5 retries + the first
    assert config.connect_timeout and config.read_timeout


def test_open_storage(tmp_path: Path, moto_server: str, aws_test_env: None) -> None:
    local = open_storage(Settings(storage=str(tmp_path)))
    assert isinstance(local, LocalStorage) and local.url == str(tmp_path)
    s3 = open_storage(Settings(storage="s3://bucket/some/prefix", s3_endpoint_url=moto_server))
    assert isinstance(s3, S3Storage) and s3.url == "s3://bucket/some/prefix"
    assert open_storage(Settings(storage="s3://bucket")).url == "s3://bucket"


# --- names -------------------------------------------------------------------------------

_segment = st.text(min_size=1).filter(lambda s: "/" not in s)


@given(st.lists(_segment, max_size=3), st.lists(_segment, max_size=3))
def test_a_dotdot_segment_is_refused(before: list[str], after: list[str]) -> None:
    with pytest.raises(UnsafeName):
        safe_key("/".join([*before, "..", *after]))


@given(st.text(), st.sampled_from(["\x00", "\\"]), st.text())
def test_nul_and_backslash_are_refused(head: str, bad: str, tail: str) -> None:
    with pytest.raises(UnsafeName):
        safe_key(head + bad + tail)


@given(st.text())
def test_absolute_paths_are_refused(rest: str) -> None:
    with pytest.raises(UnsafeName):
        safe_key("/" + rest)
    with pytest.raises(UnsafeName):
        safe_key("inbox", "/" + rest)


@given(st.text())
def test_safe_file_name_is_always_safe(name: str) -> None:
    safe = safe_file_name(name)
    assert safe_key(safe) == safe
    assert 0 < len(safe) <= MAX_NAME_CHARS
    assert not safe.startswith(".")
    assert all(ch.isalnum() or ch in "._- ()" for ch in safe)
    assert safe == safe.strip()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Offres été (1).csv", "Offres été (1).csv"),
        ("  Offres\tété.csv ", "Offres_été.csv"),
        ("e\u0301te\u0301.xlsx", "été.xlsx"),
        ("../../etc/passwd", "_._.._etc_passwd"),
        ("C:\\Users\\x.csv", "C__Users_x.csv"),
        (".env", "_env"),
        ("", "_"),
        ("=cmd|' /C calc'!A0.csv", "_cmd__ _C calc__A0.csv"),
    ],
)
def test_safe_file_name_examples(name: str, expected: str) -> None:
    assert safe_file_name(name) == expected


def test_safe_file_name_caps_and_keeps_the_extension() -> None:
    assert safe_file_name("a" * 300 + ".xlsx") == "a" * (MAX_NAME_CHARS - 5) + ".xlsx"
    long_accented = safe_file_name("é" * 300 + ".csv")
    assert long_accented.endswith(".csv") and len(long_accented.encode()) <= 200


# --- layout ------------------------------------------------------------------------------


def test_inbox_keys() -> None:
    assert inbox_key("offers", 42, "file.csv") == "inbox/offers/42/file.csv"
    assert inbox_key(Kind.PROMOTIONS, 7, "promo été.xlsx") == "inbox/promotions/7/promo été.xlsx"
    assert inbox_key("sellers", None, "registry.csv") == "inbox/sellers/registry.csv"
    assert inbox_key("orders", None, "2024-03-05.csv") == "inbox/orders/2024-03-05.csv"


@pytest.mark.parametrize(
    ("kind", "seller_id", "name", "error"),
    [
        ("offers", None, "file.csv", ValueError),
        ("offers", 0, "file.csv", ValueError),
        ("offers", True, "file.csv", ValueError),
        ("sellers", 42, "file.csv", ValueError),
        ("refunds", None, "file.csv", ValueError),
        ("offers", 42, "../43/file.csv", UnsafeName),
        ("offers", 42, "sub/file.csv", UnsafeName),
        ("orders", None, "..", UnsafeName),
    ],
)
def test_bad_inbox_keys(kind: str, seller_id: Any, name: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        inbox_key(kind, seller_id, name)


def test_archive_and_report_keys() -> None:
    day = date(2024, 3, 5)
    assert archive_key("offers", day, 17, "file.csv") == "archive/offers/2024-03-05/17-file.csv"
    assert archive_key("orders", day, 3, "../x y.csv") == "archive/orders/2024-03-05/3-_._x y.csv"
    assert import_report_key(42, 17, "errors.xlsx") == "outbox/imports/42/17-errors.xlsx"
    assert import_report_key("ops", 18, "rejected.csv") == "outbox/imports/ops/18-rejected.csv"
    with pytest.raises(ValueError):
        import_report_key("admin", 18, "errors.csv")
    with pytest.raises(ValueError):
        archive_key("offers", day, -1, "file.csv")
    with pytest.raises(UnsafeName):
        import_report_key(42, 17, "../errors.csv")


@pytest.mark.parametrize(
    ("key", "item"),
    [
        ("inbox/offers/42/file.csv", InboxItem(Kind.OFFERS, 42, "file.csv")),
        ("inbox/offers/9223372036854775807/a.csv", InboxItem(Kind.OFFERS, 2**63 - 1, "a.csv")),
        ("inbox/promotions/7/promo été.xlsx", InboxItem(Kind.PROMOTIONS, 7, "promo été.xlsx")),
        ("inbox/sellers/registry.csv", InboxItem(Kind.SELLERS, None, "registry.csv")),
        ("inbox/orders/2024-03-05.csv", InboxItem(Kind.ORDERS, None, "2024-03-05.csv")),
    ],
)
def test_parse_inbox_key(key: str, item: InboxItem) -> None:
    assert parse_inbox_key(key) == item
    assert parse_inbox_key(key).kind == key.split("/")[1]


@pytest.mark.parametrize(
    "key",
    [
        "inbox/offers/abc/x.csv",
        "inbox/offers/0/x.csv",
        "inbox/offers/042/x.csv",
        "inbox/offers/-4/x.csv",
        "inbox/offers/9223372036854775808/x.csv",  # past BIGINT: crashed the driver, stopped the run
        "inbox/offers/٤٢/x.csv",
        "inbox/offers/42/sub/x.csv",
        "inbox/offers/x.csv",
        "inbox/sellers/1/x.csv",
        "inbox/refunds/x.csv",
        "inbox/offers",
        "inbox",
        "outbox/offers/42/x.csv",
        "inbox/offers/42/../43/x.csv",
        "/inbox/offers/42/x.csv",
    ],
)
def test_parse_inbox_key_refuses_what_is_off_the_layout(key: str) -> None:
    with pytest.raises(UnsafeName):
        parse_inbox_key(key)


@given(
    st.sampled_from([Kind.OFFERS, Kind.PROMOTIONS]),
    st.integers(min_value=1, max_value=10**12),
    st.text(),
)
def test_inbox_key_round_trips(kind: Kind, seller_id: int, name: str) -> None:
    safe = safe_file_name(name)
    assert parse_inbox_key(inbox_key(kind, seller_id, safe)) == InboxItem(kind, seller_id, safe)


def test_a_storage_setting_naming_a_file_is_an_error_not_an_empty_inbox(tmp_path: Path) -> None:
    """`run inbox` answered "nothing waiting" (exit 0) every night on a mistyped setting."""
    not_a_folder = tmp_path / "store"
    not_a_folder.write_text("oops")
    for root in (not_a_folder, not_a_folder / "sub"):  # under a file: no folder ever
        with pytest.raises(StorageError, match="not a folder"):
            LocalStorage(root).list("inbox/")
    assert LocalStorage(tmp_path / "new").list("inbox/") == []  # a fresh machine: nothing yet


def test_s3_move_whose_delete_is_refused_takes_its_copy_back(s3_client: Any, s3_bucket: str) -> None:
    """The inbox object could not be deleted (a policy, an outage past the retries): the copy
    under this attempt's archive name stayed, an object no import points at."""
    from botocore.exceptions import ClientError

    s3 = S3Storage(s3_client, s3_bucket, "landing")
    s3.write_bytes("inbox/sellers/s.csv", b"x")
    real = s3_client.delete_object

    def refused(**kwargs: Any) -> Any:
        if kwargs["Key"].endswith("inbox/sellers/s.csv"):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "denied"}}, "DeleteObject")
        return real(**kwargs)

    s3_client.delete_object = refused
    with pytest.raises(StorageError):
        s3.move("inbox/sellers/s.csv", "archive/sellers/2026-12-07/2-s.csv")
    assert [o.key for o in s3.list("")] == ["inbox/sellers/s.csv"]


def test_s3_move_whose_delete_answer_is_lost_keeps_its_copy(s3_client: Any, s3_bucket: str) -> None:
    """The delete was applied but its answer lost (a timeout): taking the copy back as well
    lost the file for good."""
    from botocore.exceptions import ReadTimeoutError

    s3 = S3Storage(s3_client, s3_bucket, "landing")
    s3.write_bytes("inbox/sellers/s.csv", b"x")
    real = s3_client.delete_object

    def applied_then_timed_out(**kwargs: Any) -> Any:
        answer = real(**kwargs)
        if kwargs["Key"].endswith("inbox/sellers/s.csv"):
            raise ReadTimeoutError(endpoint_url="http://s3")
        return answer

    s3_client.delete_object = applied_then_timed_out
    with pytest.raises(StorageError):
        s3.move("inbox/sellers/s.csv", "archive/sellers/2026-12-07/2-s.csv")
    assert [o.key for o in s3.list("")] == ["archive/sellers/2026-12-07/2-s.csv"]
