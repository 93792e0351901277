"""The landing zone's names and folder layout: which keys exist and what makes one safe.

Pure functions, no I/O: a key is built or read here before any backend sees it, so the
layout is one thing whichever storage holds the files (architecture.md, "Storage layout"),
and the loaders that only need names (parsing an inbox key, naming an archive copy or a
report) import this module without the storage backends.

One seller's data: every key goes through `safe_key`, so a name holding `..`, `\\`, a NUL
byte, an absolute path or a drive letter never reaches a path or an object key.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from marketplace.errors import MarketplaceError, Reason

SAFE_NAME_PUNCTUATION = ".-_ ()"
MAX_NAME_CHARS = 120  # safe_file_name's cap: readable in Excel's title bar and in a listing
_NAME_BYTES = 200  # ...and in UTF-8, leaving room for an "<import_id>-" prefix under 255
_SEGMENT_BYTES = 255  # NAME_MAX of the usual local filesystems
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NUL = re.compile("\x00")
_SELLER_ID = re.compile(r"[1-9][0-9]*", re.ASCII)
MAX_SELLER_ID = 2**63 - 1
"""The largest seller number the catalog holds (BIGINT): a folder or option past it names no
seller and must be refused as such, not fail the database driver."""


class UnsafeName(MarketplaceError):
    """A key or a file name that could escape its folder or does not fit the layout."""

    code = Reason.UNSAFE_NAME


# --- names -------------------------------------------------------------------------------


def safe_key(*parts: str) -> str:
    """Join "/"-separated key parts after checking every segment; raise UnsafeName otherwise."""
    segments = [segment for part in parts for segment in _split(part)]
    if not segments:
        raise UnsafeName("empty key")
    for segment in segments:
        _check_segment(segment)
    return "/".join(segments)


def listed_key(key: str) -> str:
    """A key as a storage listing returned it, checked only for what would leave its folder
    (an empty, `.` or `..` segment, a NUL): the inbox may hold names a seller's system made (a
    tab, bytes that are not UTF-8 from a Windows zip, `C:\\Users\\...` from an uploader that
    joined a Windows path, 300 bytes on S3), refused as names, yet to be moved out of it. On S3
    a key is a name, and on a POSIX folder a backslash or `C:` is a character of one."""
    for segment in _split(key):
        _check_segment(segment, as_name=False)
    return key


def readable(text: str) -> str:
    """A path or name as text that is valid Unicode: the bytes of a name that are not UTF-8
    (Python keeps them as lone surrogates) become U+FFFD, for answers and the imports table."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _split(part: str) -> list[str]:
    if part.startswith("/"):
        raise UnsafeName(f"absolute path: {part!r}")
    return part.split("/")


def _check_segment(segment: str, as_name: bool = True) -> None:
    if segment in ("", ".", ".."):
        raise UnsafeName(f"empty, '.' or '..' segment in key: {segment!r}")
    if not as_name:
        if _NUL.search(segment):
            raise UnsafeName(f"NUL in {segment!r}")
        return
    if "\\" in segment or _CONTROL.search(segment) or _DRIVE.match(segment):
        raise UnsafeName(f"backslash, control character or drive letter in {segment!r}")
    try:
        size = len(segment.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise UnsafeName(f"not valid Unicode: {segment!r}") from exc
    if size > _SEGMENT_BYTES:
        raise UnsafeName(f"name longer than {_SEGMENT_BYTES} bytes: {segment[:40]!r}...")


def safe_file_name(name: str) -> str:
    """A seller's file name made harmless for outputs: letters (accents kept), digits, . - _,
    spaces and parentheses (`Offres (2).xlsx` is how Windows names a second download: the
    archive keeps the name the seller knows).

    Anything else becomes "_"; the result is capped (extension kept), never empty, never
    hidden (no leading ".") and never starts or ends with a space.
    """
    cleaned = "".join(
        ch if ch.isalnum() or ch in SAFE_NAME_PUNCTUATION else "_"
        for ch in unicodedata.normalize("NFC", name)
    )
    cleaned = _truncate(cleaned).strip(" ")
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


def refused_key(day: date, import_id: int, name: str) -> str:
    """archive/refused/<YYYY-MM-DD>/<import_id>-<name>: an inbox file off the layout, kept."""
    import_id = _positive(import_id, "import id")
    return safe_key("archive", "refused", day.isoformat(), f"{import_id}-{safe_file_name(name)}")


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
        seller = inbox_folder_seller("/".join(parts))
        if seller is not None and len(parts) == 4:
            return InboxItem(kind, seller, parts[3])
    raise UnsafeName("not an inbox file of the layout inbox/<offers|promotions>/<seller number>/"
                     f"<file> or inbox/<sellers|orders>/<file>: {key!r}")


def inbox_folder_seller(key: str) -> int | None:
    """The seller whose inbox folder holds `key`, at any depth (`inbox/offers/101/sub/x.csv`
    too, which is off the layout but still that seller's upload); None elsewhere."""
    parts = key.split("/")
    if (len(parts) >= 4 and parts[0] == "inbox" and parts[1] in _KINDS and Kind(parts[1]).per_seller
            and _SELLER_ID.fullmatch(parts[2]) and int(parts[2]) <= MAX_SELLER_ID):
        return int(parts[2])
    return None


_EXPORT_DATES = tuple(re.compile(rf"(?<![0-9])(20[0-9]{{2}}){sep}([0-9]{{2}}){sep}([0-9]{{2}})(?![0-9])")
                      for sep in ("-", "_", ""))
"""`YYYY-MM-DD` first, then `YYYY_MM_DD`, then `YYYYMMDD`; years 2000-2099 (eight digits of a
batch number are no date: `export_00041105`)."""


def export_date_of(name: str) -> date | None:
    """The day an order export was taken, from its name (inbox/orders/<YYYY-MM-DD>.csv).

    The latest `YYYY-MM-DD` in the name that is a real calendar date (`commandes-2026-11-22.csv`
    works too), else the latest `YYYY_MM_DD`, else `YYYYMMDD` as exports also write it; None
    when the name carries none, and the caller decides (docs/decisions.md).
    """
    for pattern in _EXPORT_DATES:
        found = []
        for year, month, day in pattern.findall(name):
            try:
                found.append(date(int(year), int(month), int(day)))
            except ValueError:
                continue
        if found:  # the latest: `lot_20201231_20261203` is a batch of 2020 exported in 2026
            return max(found)
    return None


def _positive(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{what} must be a positive whole number, got {value!r}")
    return value


def _name(name: str) -> str:
    if "/" in name:
        raise UnsafeName(f"a file name cannot hold '/': {name!r}")
    return safe_key(name)

