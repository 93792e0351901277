"""Checks on an XLSX archive before openpyxl parses a byte of it.

An XLSX is a zip of XML parts. A hostile or broken one can hold a part that inflates to
gigabytes from a few kilobytes (a zip bomb), tens of thousands of entries, or no workbook at
all (a .docx, an .ods or any zip renamed .xlsx). Those are decided here from the zip's central
directory alone, which costs milliseconds whatever the file claims to hold. The declared sizes
are binding: Python's zipfile stops inflating an entry at its declared size (and then fails
its CRC check), so a part cannot grow past what was checked here.
"""

from __future__ import annotations

import codecs
import pyexpat
import re
import zipfile
import zlib
from pathlib import Path

import defusedxml.ElementTree as SafeTree
from defusedxml.common import DefusedXmlException

from loaders.reader import fr_number
from marketplace.errors import Reason, reject_file

MAX_ENTRIES = 10_000
MAX_TOTAL_BYTES = 1024**3
MAX_RATIO = 200
# Parts openpyxl parses whole into Python objects (styles, the workbook, relationships...): a
# million number formats fit in 8 MB compressed and took 2.6 GB. Excel itself caps a workbook
# at 64,000 cell formats, a few MB of styles.xml. The shared strings hold the text cells of
# every sheet, so they get more room; worksheets are streamed (`xlsx_sheet_xml`), not limited.
MAX_PART_BYTES = 16 * 1024**2
# 84 MB of shared strings (130,000 offers with 500-character descriptions) took 140 MB in
# memory: 256 MiB stays under half a gigabyte, and refuses no catalogue Excel writes under
# the spec's row limit unless it carries long texts on several hundred thousand rows.
MAX_SHARED_STRINGS_BYTES = 256 * 1024**2
_STREAMED = re.compile(r"xl/worksheets/[^/]+\.xml")
_PARSED_WHOLE = (".xml", ".rels")
# Parts smaller than this cannot hurt, and tiny parts (an empty sheet, a shared-strings table
# of one repeated word) legitimately compress far better than 200:1.
RATIO_FLOOR_BYTES = 1024**2

_CONTENT_TYPES = "[Content_Types].xml"
_CONTENT_TYPES_READ = 1024**2  # far more than any real workbook declares
# The main part of a workbook openpyxl reads: .xlsx, .xlsm, .xltx, .xltm (not .xlsb).
_WORKBOOK_TYPE = re.compile(
    rb"(spreadsheetml\.(sheet|template)|ms-excel\.(sheet|template)\.macroEnabled)\.main\+xml"
)
# What zipfile raises on a corrupt archive (RuntimeError: an encrypted entry,
# NotImplementedError: a compression method it does not know).
_UNREADABLE_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)


def check_xlsx(
    path: Path,
    *,
    max_entries: int = MAX_ENTRIES,
    max_total_bytes: int = MAX_TOTAL_BYTES,
    max_ratio: int = MAX_RATIO,
    max_part_bytes: int = MAX_PART_BYTES,
    max_shared_strings_bytes: int = MAX_SHARED_STRINGS_BYTES,
) -> None:
    """Raise `FileRejected` unless `path` is a sane-looking workbook archive.

    Reason.UNREADABLE: not a readable zip (truncated, corrupt central directory);
    Reason.ZIP_BOMB: too many entries, too much uncompressed data, an entry compressed more
    than `max_ratio` times (entries under 1 MiB are exempt from the ratio), or an XML part read
    whole larger than `max_part_bytes` (worksheets are streamed and not limited);
    Reason.TOO_LARGE: shared strings over `max_shared_strings_bytes` (a real catalogue's
    texts, too many to hold: to send as CSV);
    Reason.UNKNOWN_FORMAT: a zip that is not an Excel workbook.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_sizes(infos, max_entries, max_total_bytes, max_ratio)
            named = {info.filename for info in infos if info.filename.lower().endswith(_PARSED_WHOLE)
                     and not info.filename.startswith("__MACOSX/")}
            _check_parts_read_whole(infos, named, max_part_bytes, max_shared_strings_bytes)
            _check_is_workbook(archive)
            parsed = _parts_parsed(archive, named)
            _check_parts_read_whole(infos, parsed - named, max_part_bytes, max_shared_strings_bytes)
            _check_no_document_type(archive, parsed)
    except _UNREADABLE_ERRORS as error:
        raise reject_file(
            Reason.UNREADABLE,
            "Fichier illisible : le classeur Excel est tronqué ou endommagé (archive ZIP "
            "invalide). Enregistrez-le de nouveau depuis Excel et renvoyez-le.",
            f"Unreadable file: the Excel workbook is truncated or damaged ({error}). "
            "Save it again from Excel and send it again.",
        ) from error


def _check_sizes(
    infos: list[zipfile.ZipInfo], max_entries: int, max_total_bytes: int, max_ratio: int
) -> None:
    if len(infos) > max_entries:
        raise _bomb(
            f"il contient {len(infos)} éléments (maximum {max_entries})",
            f"it holds {len(infos)} entries (at most {max_entries})",
        )
    total = sum(info.file_size for info in infos)
    if total > max_total_bytes:
        raise _bomb(
            f"il se décompresse en {fr_number(total)} octets (maximum {fr_number(max_total_bytes)})",
            f"it inflates to {total:,} bytes (at most {max_total_bytes:,})",
        )
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= RATIO_FLOOR_BYTES and ratio > max_ratio:
            raise _bomb(
                f"l'élément « {info.filename} » est compressé {ratio:.0f} fois (maximum {max_ratio})",
                f'entry "{info.filename}" is compressed {ratio:.0f} times (at most {max_ratio})',
            )


def _check_parts_read_whole(infos: list[zipfile.ZipInfo], parsed: set[str], max_part_bytes: int,
                            max_shared_strings_bytes: int) -> None:
    for info in infos:
        name = info.filename
        if _STREAMED.fullmatch(name) or name not in parsed:
            continue
        if name.endswith("sharedStrings.xml"):
            if info.file_size > max_shared_strings_bytes:
                raise _too_much_text(info.file_size, max_shared_strings_bytes)
        elif info.file_size > max_part_bytes:
            raise _bomb(
                f"l'élément « {name} » se décompresse en {fr_number(info.file_size)} octets"
                f" (maximum {fr_number(max_part_bytes)})",
                f'entry "{name}" inflates to {info.file_size:,} bytes (at most {max_part_bytes:,})',
            )


def resolve_part(folder: str, target: str) -> str:
    """A relationship's target as an archive name: absolute ("/xl/tables/table1.xml") or
    relative to the folder of the part it belongs to ("../tables/table1.xml")."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts = [piece for piece in folder.split("/") if piece]
    for piece in target.split("/"):
        if piece == "..":
            parts = parts[:-1]
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def _elements(archive: zipfile.ZipFile, part: str, tag: str) -> list[dict[str, str]]:
    """The attributes of each `tag` element of a small part (content types, relationships),
    read by an XML parser that refuses a DTD: byte patterns were fooled by an escaped target
    (`sheet1&#46;dat`), a `>` inside an attribute, UTF-16, padding past their look."""
    if part not in archive.namelist():
        return []
    try:
        root = SafeTree.fromstring(archive.read(part))
    except DefusedXmlException:
        raise _unsafe(part) from None
    except (SafeTree.ParseError, ValueError):
        return []  # openpyxl cannot read it either, and refuses the workbook
    return [element.attrib for element in root.iter() if element.tag.rpartition("}")[2] == tag]


def _targets(archive: zipfile.ZipFile, part: str) -> list[tuple[str, str]]:
    """(target part, relationship type) of each internal relationship of `part` ("" for the
    package itself)."""
    folder, _, name = part.rpartition("/")
    relations = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"
    return [(resolve_part(folder, attributes.get("Target", "")), attributes.get("Type", ""))
            for attributes in _elements(archive, relations, "Relationship")
            if attributes.get("TargetMode") != "External"]


def workbook_part(archive: zipfile.ZipFile) -> str:
    """The workbook's part, as openpyxl finds it: declared in the content types, else named by
    the package's relationships (`xl/workbook.xml`)."""
    parts = _workbook_parts(_elements(archive, _CONTENT_TYPES, "Override"), _targets(archive, ""))
    return next(iter(parts), "xl/workbook.xml")


def _workbook_parts(overrides: list[dict[str, str]], package: list[tuple[str, str]]) -> list[str]:
    declared = [override.get("PartName", "").lstrip("/") for override in overrides
                if _WORKBOOK_TYPE.search(override.get("ContentType", "").encode())]
    named = [target for target, kind in package if kind.endswith("/officeDocument")]
    return list(dict.fromkeys(declared + named))


def _parts_parsed(archive: zipfile.ZipFile, named: set[str]) -> set[str]:
    """The parts openpyxl may parse as XML: `named` (every `.xml` and `.rels`), and, whatever
    their names, the parts the content types declare (openpyxl finds the workbook and the shared
    strings there), the package's relationships and each workbook's point at (the sheets, the
    styles), when their first bytes are markup: a sheet renamed `sheet1.dat` is still found.
    Not images (an SVG logo declares its DTD), VML notes, binary parts (a data model, macros),
    nor a Mac's `__MACOSX/` copies, which openpyxl never parses."""
    names = set(archive.namelist())
    overrides, package = _elements(archive, _CONTENT_TYPES, "Override"), _targets(archive, "")
    declared = [override.get("PartName", "").lstrip("/") for override in overrides
                if not override.get("ContentType", "").startswith("image/")]
    linked = [target for target, _ in package]
    linked += [target for workbook in _workbook_parts(overrides, package)
               for target, _ in _targets(archive, workbook)]
    others = {part for part in declared + linked if part in names} - named
    return named | {part for part in others if _looks_like_markup(entry_head(archive, part, _PROLOG_BYTES))}


def _looks_like_markup(head: bytes) -> bool:
    """Whether a part starts as XML does (once blanks, byte-order marks and UTF-16's or
    UTF-32's NULs are set aside), or is blank as far as the look goes (padding before a DTD)."""
    start = head.replace(b"\x00", b"").lstrip(b" \t\r\n").removeprefix(b"\xef\xbb\xbf")
    start = start.removeprefix(b"\xff\xfe").removeprefix(b"\xfe\xff")
    return start.startswith(b"<") or (not start and len(head) == _PROLOG_BYTES)


_PROLOG_BYTES = 64 * 1024


class _RootReached(Exception):
    """The prolog is over: what follows is content, where a DTD cannot stand."""


class _DocumentType(Exception):
    """The prolog declares a document type or an entity."""


def _shows_markup(encoding: str) -> bool:
    """Whether an encoding is one XML parsers agree on: UTF-8 and UTF-16, or one byte a
    character (Latin-1, Windows-125x, ISO-8859-x, Mac). A part in UTF-7 hid its DTD in base64
    and openpyxl expanded the entity; ISO-2022-JP or HZ split it with escapes."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return False
    return name.startswith(("utf-8", "utf-16", "ascii", "latin", "iso8859", "cp125", "mac-"))


def _unsafe_prolog(head: bytes) -> bool:
    """Whether the start of a part declares a DTD or an entity, is declared in an encoding that
    could hide one, or has no root in its first 64 KB. An XML parser reads the prolog, so
    comments, instructions and encodings are seen as lxml sees them: byte patterns were fooled
    by a comment whose end was a character that turned into `--` once UTF-16's NULs were
    dropped. A prolog the parser cannot read (text before the declaration, UTF-32) is left to
    openpyxl, which refuses it as damaged if it reads that part at all, unless its bytes show
    a DTD or an encoding that could hide one."""
    parser = pyexpat.ParserCreate()
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
    declared: list[str] = []

    def declaration(_version: str, encoding: str | None, _standalone: int) -> None:
        if encoding is not None:
            declared.append(encoding)

    def root(*_args: object) -> None:
        raise _RootReached

    def document_type(*_args: object) -> None:
        raise _DocumentType

    parser.XmlDeclHandler = declaration
    parser.StartElementHandler = root
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = document_type
    try:
        parser.Parse(head, False)
    except _RootReached:
        return not all(map(_shows_markup, declared))
    except _DocumentType:
        return True
    except (pyexpat.ExpatError, ValueError, LookupError):  # ValueError: a multi-byte encoding
        visible = head.replace(b"\x00", b"")  # UTF-16 or UTF-32 that the parser refused
        written = [found.decode("ascii", "replace") for found in _ENCODING.findall(visible[:1024])]
        return (not all(map(_shows_markup, declared + written))
                or _DOCUMENT_TYPE.search(visible) is not None)
    return not all(map(_shows_markup, declared)) or len(head) == _PROLOG_BYTES


_DOCUMENT_TYPE = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']+)""")


def _check_no_document_type(archive: zipfile.ZipFile, parsed: set[str]) -> None:
    """No part openpyxl parses may declare a DTD: Excel never writes one, and openpyxl parses
    the parts other than the sheets with lxml, not defusedxml (entities not resolved there, but
    an entity bomb in `workbook.xml` or `docProps/core.xml` was accepted without a word); the
    sheets, streamed through defusedxml, let a reference to an external DTD through. A DTD
    stands before the root element: a part whose root does not start in its first 64 KB
    (padding pushed a DTD past the look), or declared in an encoding that could hide it, is
    refused as well."""
    for name in sorted(parsed):
        if _unsafe_prolog(entry_head(archive, name, _PROLOG_BYTES)):
            raise _unsafe(name)


def _unsafe(name: str):
    return reject_file(
        Reason.UNREADABLE,
        f"Fichier refusé par sécurité : l'élément « {name} » du classeur déclare un type de"
        " document (DTD) ou le cache, ce qu'Excel ne fait jamais. Enregistrez-le de nouveau"
        " depuis Excel, ou en CSV.",
        f'File refused for safety: entry "{name}" of the workbook declares or hides a'
        " document type (DTD), which Excel never does. Save it again from Excel, or as CSV.",
    )


_ODS_TYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def entry_head(archive: zipfile.ZipFile, name: str, size: int) -> bytes:
    """The first `size` bytes of an entry, never the whole of it (it may inflate to a
    gigabyte)."""
    with archive.open(name) as part:
        return part.read(size)


def _check_is_workbook(archive: zipfile.ZipFile) -> None:
    names = set(archive.namelist())
    if _CONTENT_TYPES in names:
        with archive.open(_CONTENT_TYPES) as part:
            if _WORKBOOK_TYPE.search(part.read(_CONTENT_TYPES_READ)):
                return
    if "mimetype" in names and entry_head(archive, "mimetype", len(_ODS_TYPE)).startswith(_ODS_TYPE):
        raise reject_file(
            Reason.UNKNOWN_FORMAT,
            "Format non pris en charge : ce fichier est un classeur LibreOffice ou OpenOffice"
            " (.ods). Enregistrez-le au format Excel (.xlsx) ou CSV (Fichier > Enregistrer sous).",
            "Unsupported format: this file is a LibreOffice or OpenOffice spreadsheet (.ods)."
            " Save it as Excel (.xlsx) or CSV (File > Save As).",
        )
    if any(name.startswith("Index/") and name.endswith(".iwa") for name in names):
        raise reject_file(
            Reason.UNKNOWN_FORMAT,
            "Format non pris en charge : ce fichier est un document Apple Numbers. Exportez-le"
            " au format Excel (.xlsx) ou CSV (Fichier > Exporter vers).",
            "Unsupported format: this file is an Apple Numbers document. Export it as Excel"
            " (.xlsx) or CSV (File > Export To).",
        )
    raise reject_file(
        Reason.UNKNOWN_FORMAT,
        "Format non pris en charge : ce fichier est une archive ZIP mais pas un classeur Excel "
        "(.xlsx). Enregistrez-le au format .xlsx ou CSV.",
        "Unsupported format: this file is a ZIP archive but not an Excel workbook (.xlsx). "
        "Save it as .xlsx or CSV.",
    )


def _too_much_text(size: int, limit: int):
    """The text cells of a real catalogue, only too many to hold: not a bomb, and saving it
    again from Excel would write the same table."""
    return reject_file(
        Reason.TOO_LARGE,
        f"Fichier trop volumineux : les textes du classeur font {fr_number(size)} octets une fois"
        f" décompressés (maximum {fr_number(limit)}). Envoyez-le en CSV (Fichier > Enregistrer"
        " sous > CSV UTF-8) ou découpez-le en plusieurs fichiers.",
        f"File too large: the workbook's text cells take {size:,} bytes unpacked (at most"
        f" {limit:,}). Send it as CSV (File > Save as > CSV UTF-8) or split it into several files.",
    )


def _bomb(detail_fr: str, detail_en: str):
    return reject_file(
        Reason.ZIP_BOMB,
        f"Fichier refusé : ce classeur n'est pas un fichier Excel normal, {detail_fr}. "
        "Enregistrez-le de nouveau depuis Excel ou envoyez un CSV.",
        f"File rejected: this workbook is not a normal Excel file, {detail_en}. "
        "Save it again from Excel or send a CSV.",
    )
