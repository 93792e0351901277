"""Which text encoding a seller's CSV file is in, decided from its bytes before any row is read.

A module of its own because it answers one question before any text is read:
`loaders.csv_reader` asks `detect_encoding` once, then reads the file as text in that
encoding. The checks here stream the whole file in blocks, so that a file whose encoding
changes half-way is rejected before its first row is returned.

Decisions (each tested in tests/test_reader.py):
- A UTF-16 byte order mark (or NUL bytes at odd positions: UTF-16LE without one) means UTF-16;
  otherwise the whole file is checked in streamed blocks: valid UTF-8 is UTF-8, anything else
  Windows-1252, unless its accented letters are Mac Roman's (Excel for Mac's "CSV
  (Macintosh)": é is byte 0x8E, which Windows-1252 reads Ž): "Télévision" was stored
  "TŽlŽvision" without a word; or DOS's (code page 850 with €, 858, an accounting program's
  export: é is 0x82, Windows-1252's ‚); or ISO-8859-15's (Œ œ € where Windows-1252 has ¼ ½ ¤, see
  `_looks_latin9`). A file that is UTF-8 (a BOM or accented UTF-8 characters) up to some byte and
  not after it mixes encodings: rejected, naming that physical line.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from loaders.reader import unreadable
from marketplace.errors import FileRejected, Reason, reject_file

# The delimiters a CSV may use: `loaders.csv_reader` ranks them (on a tie, the earlier wins:
# French Excel writes `;`); here, a file read as UTF-16 must show one of them.
DELIMITERS = (";", ",", "\t", "|")
SNIFF_BYTES = 64 * 1024
_SCAN_BYTES = 4 * 1024 * 1024
_UTF8_BOM = codecs.BOM_UTF8
_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
_UTF16_BOMS = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_CONTROL_BYTES = bytes(set(range(32)) - set(b"\t\n\r\x0b\x0c"))
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
_HIGH_BYTES = bytes(range(128, 256))
_HIGH_BYTE_RUN = re.compile(rb"[\x80-\xff]{2,}")
# Beside an ASCII letter: Mac Roman's lower-case accented letters (á à â ä ç é è ê ö ù û ü are
# 0x87-0x8A, 0x8D-0x90, 0x9A, 0x9D-0x9F), which Windows-1252 leaves undefined or gives to
# signs no word holds (ˆ ‰ Ž Ÿ...); and Windows-1252's own (0xE0-0xFF).
# Also Mac Roman's capitals Å Ç É Ñ Ü beside a capital ("TÉLÉVISION": Windows-1252's ‚ ƒ „ †
# sit by no capital; „ opening a German quote is 0x84, so Ñ counts only after one), its œ
# before a lower-case letter ("Cœur", Windows-1252's "CÏur"), and its typographic signs where
# Windows-1252 has letters no French word holds there: ’ after a lower-case letter ("Men’s",
# "d’ALEXANDRE": "MenÕs"), “ opening a word ("ÒLE PETIT"; its ” closing one is the Ó ending
# DOMINÓ), – between spaces (" Ð ").
_MAC_ROMAN_LETTER = re.compile(rb"[A-Za-z][\x87-\x8a\x8d-\x90\x9a\x9d-\x9f]"
                               rb"|[\x87-\x8a\x8d-\x90\x9a\x9d-\x9f][a-z]|[A-Z][\x81-\x84\x86]"
                               rb"|[\x81-\x83\x86][A-Z]|\xcf[a-z]|[a-z]\xd5[A-Za-z]| \xd0 "
                               rb"|(?<![A-Za-z])\xd2[A-Za-z]")
# Windows-1252's own, counted against: its lower-case letters beside lower-case ASCII ones
# (after a capital, 0xE0-0xFF are Mac Roman's capitals: "CÂBLE"); its capitals
# beside a capital (Â Ü Ö in "CÂBLE"), or between two for those whose byte is a Mac Roman sign
# (É Ç È Ê Ô are … « » no-break space ‘ there: "RÉSIDENCE", not "NOUVEAU… C"); and its
# typographic signs where Mac Roman would put a letter no word holds there: ’ inside a word
# (Mac í), – or — between spaces (ñ, ó), € by a number (Ä), and Š starting a word ("Škoda":
# no French word starts with Mac Roman's ä).
_WINDOWS_LETTER = re.compile(rb"[a-z][\xe0-\xff]|[\xe0-\xff][a-z]|[A-Z][\xc0-\xc6\xd6-\xdd]"
                             rb"|[\xc0-\xc6\xd6-\xdd][A-Z]|[A-Z][\xc7-\xca\xd4][A-Z]|[a-z]\x92[a-z]"
                             rb"| [\x96\x97] |\d ?\x80|\x80 ?\d|(?<![A-Za-z])\x8a[a-z]")
# é after a lower-case letter: 0x8E on a Mac, 0x82 in DOS, where Windows-1252 has ‚ (no
# word holds it there) and Mac Roman Ç (only after a capital: "CALEÇON"); Windows' … between
# spaces is DOS's à, which it cannot tell
_MAC_E = re.compile(rb"[a-z]\x8e")
# Windows-1252's lower-case letters beside lower-case ones, less the bytes that are DOS's
# signs after a word or a number (µ ± § ° · ² and its no-break space: "n°13", "1 m²")
_WINDOWS_NOT_DOS = re.compile(rb"[a-z][\xe0-\xe5\xe7-\xf0\xf2-\xf4\xf6\xf7\xf9\xfb\xfc\xfe]"
                              rb"|[\xe0-\xe5\xe7-\xf0\xf2-\xf4\xf6\xf7\xf9\xfb\xfc\xfe][a-z]")
_DOS_E = re.compile(rb"[a-z]\x82|[A-Z]\x82[a-z]")  # "Télévision" too
_MAC_ROMAN_EVIDENCE = 50  # letters and signs seen: enough to decide
_MAC_ROMAN_SCAN = 8 * 1024 * 1024  # bytes of non-ASCII blocks read at most to find them
_MAC_ROMAN_BLOCK = 64 * 1024
# ISO-8859-15 (Latin-9) puts Œ œ at 0xBC 0xBD and € at 0xA4, where Windows-1252 has ¼ ½ ¤; it
# has no character at 0x80-0x9F, where Windows-1252 has its own €, œ, Œ and curly quotes.
_C1_BYTES = bytes(range(0x80, 0xA0))
_LATIN9_BYTES = (b"\xa4", b"\xa6", b"\xb4", b"\xbc", b"\xbd", b"\xbe")
_LATIN9_SIGN = re.compile(  # œ Œ inside or starting a word ("C½ur", "¼uvres"), € by a number
    rb"[A-Za-z\xc0-\xff][\xbc\xbd][A-Za-z\xc0-\xff]"
    rb"|(?<![A-Za-z0-9\xc0-\xff])[\xbc\xbd][A-Za-z\xc0-\xff]{2}"
    rb"|\d[ \xa0]?\xa4|\xa4[ \xa0]?\d")
_WINDOWS_SIGN = re.compile(  # what only Windows-1252 text holds there: a fraction ("1½ litre",
    # "6x½ l", "¼ de pouce"), ´ typed as an apostrophe ("l´été"), a broken bar ("Vert¦Noir")
    rb"[\xbc-\xbe](?![A-Za-z\xc0-\xff])|\d[\xbc-\xbe]|[A-Za-z]\xb4[A-Za-z\xe0-\xff]|\xa6")


@dataclass(frozen=True)
class Encoding:
    codec: str  # Python codec of the bytes after the byte order mark
    label: str  # what ReadInfo.encoding says
    bom: int  # length of the byte order mark


def detect_encoding(path: Path) -> Encoding:
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if head.startswith(_UTF32_BOMS):
        raise _unknown_format("fichier en UTF-32, un encodage non pris en charge", "UTF-32 is not supported")
    for bom, codec in _UTF16_BOMS:
        if head.startswith(bom):
            return _checked_utf16(path, Encoding(codec, "utf-16", len(bom)))
    if _looks_utf16le(head):
        return _checked_utf16(path, Encoding("utf-16-le", "utf-16", 0))
    body = head.rstrip(b"\x1a")  # a DOS end-of-file mark (Ctrl-Z) ending a short export
    controls = len(body) - len(body.translate(None, _CONTROL_BYTES))
    if b"\x00" in head or controls * 100 > len(head):
        raise _unknown_format("contenu binaire", "binary content")
    if _scan_8bit(path) == "cp1252":
        if (apple_or_dos := _apple_or_dos(path)) is not None:
            return apple_or_dos
        _check_cp1252(path, head)  # double-byte Asian text first: it is neither
        if _looks_latin9(path):
            return Encoding("iso8859_15", "iso-8859-15", 0)
        return Encoding("cp1252", "cp1252", 0)
    if head.startswith(_UTF8_BOM):
        return Encoding("utf-8", "utf-8-sig", len(_UTF8_BOM))
    return Encoding("utf-8", "utf-8", 0)


def _apple_or_dos(path: Path) -> Encoding | None:
    """Mac Roman, or the DOS code page 850, when accented letters are written the Mac way and
    (nearly) none the Windows way: a French word in Windows-1252 puts é at 0xE9, never beside
    a letter at 0x8E. DOS puts its accents in the same byte range as the Mac (an accounting
    program's export, "Crème brûlée" published "Cräme brñlÇe"), where the most frequent of
    them tells them apart: é is 0x82 in DOS (Mac's Ç), 0x8E on a Mac (DOS's Ä). Read until enough letters
    and signs are seen, past the first rows if need be (a catalogue whose first accent came
    after 64 KB was read as Windows-1252 and "Câble télévision" published "C‰ble tŽlŽvision"),
    in small blocks, and at most `_MAC_ROMAN_SCAN` bytes of blocks that hold any non-ASCII byte
    (a large file with few of either was scanned whole, in 10 s)."""
    mac = windows = scanned = mac_e = dos_e = windows_not_dos = 0
    with path.open("rb") as handle:
        while (mac + windows + dos_e < _MAC_ROMAN_EVIDENCE and scanned < _MAC_ROMAN_SCAN
               and (block := handle.read(_MAC_ROMAN_BLOCK))):
            if not block.isascii():
                scanned += len(block)
                mac += len(_MAC_ROMAN_LETTER.findall(block))
                windows += len(_WINDOWS_LETTER.findall(block))
                mac_e += len(_MAC_E.findall(block))
                dos_e += len(_DOS_E.findall(block))
                windows_not_dos += len(_WINDOWS_NOT_DOS.findall(block))
    if dos_e > 4 * (windows_not_dos + mac_e):
        return Encoding("cp858", "cp858", 0)  # code page 850 with € (0xD5, a Turkish ı before)
    return Encoding("mac_roman", "mac-roman", 0) if mac >= 2 and mac > 4 * windows else None


def _looks_latin9(path: Path) -> bool:
    """Œ, œ or € written the ISO-8859-15 way (a Unix or older Windows export), and neither a
    byte of Windows-1252's own signs nor a fraction, an acute accent or a broken bar used as
    Windows-1252 text uses them, anywhere: read as Windows-1252, "Œuvres" was published
    "¼uvres" and "12,50 €" refused as "12,50 ¤"; read as Latin-9, "1½ litre" became
    "1œ litre". The whole file, but the pattern reads only blocks holding one of those bytes."""
    found = False
    with path.open("rb") as handle:
        while block := handle.read(_SCAN_BYTES):
            if len(block.translate(None, _C1_BYTES)) != len(block):
                return False
            if not any(byte in block for byte in _LATIN9_BYTES):
                continue
            if _WINDOWS_SIGN.search(block):
                return False
            found = found or _LATIN9_SIGN.search(block) is not None
    return found


def _looks_utf16le(head: bytes) -> bool:
    """UTF-16LE without BOM: at least half the odd bytes are NUL, under a tenth of the even."""
    even, odd = head[0::2], head[1::2]
    return bool(odd) and odd.count(0) * 2 >= len(odd) and even.count(0) * 10 < len(even)


def _checked_utf16(path: Path, encoding: Encoding) -> Encoding:
    """Decode the whole file: a truncated or corrupt UTF-16 file is unreadable."""
    decoder = codecs.getincrementaldecoder(encoding.codec)()
    with path.open("rb") as handle:
        handle.seek(encoding.bom)
        try:
            head = decoder.decode(handle.read(SNIFF_BYTES))
            while block := handle.read(_SCAN_BYTES):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            raise unreadable(
                "fichier UTF-16 tronqué ou endommagé", f"truncated or corrupt UTF-16 ({error})"
            ) from error
    if head.strip() and not any(mark in head for mark in (*DELIMITERS, "\n", "\r")):
        raise unreadable(
            "le fichier commence par une marque UTF-16 mais son contenu n'est pas en UTF-16",
            "the file starts with a UTF-16 byte order mark but its content is not UTF-16",
        )
    return encoding


def _scan_8bit(path: Path) -> str:
    """'utf-8' if the whole file is valid UTF-8, else 'cp1252'; mixed encodings rejected.

    Streamed in blocks cut on character boundaries, validated by Arrow (several times faster
    than decoding in Python: this pass reads the whole file before the first row)."""
    offset, carry, seen_utf8 = 0, b"", False  # seen_utf8: a BOM or accents in valid UTF-8
    with path.open("rb") as handle:
        while True:
            block = handle.read(_SCAN_BYTES)
            data = carry + block
            cut = _utf8_boundary(data) if block else len(data)
            part, carry = data[:cut], data[cut:]
            if not part.isascii():
                bad = _first_invalid_utf8(part)
                if bad is not None:
                    if seen_utf8 or not part[:bad].isascii():
                        raise _mixed_encoding(_line_at(path, offset + bad))
                    return "cp1252"
                seen_utf8 = True
            offset += cut
            if not block:
                return "utf-8"


def _utf8_boundary(data: bytes) -> int:
    """Length of the longest prefix of `data` not ending inside a UTF-8 character (at most
    three bytes are held back for the next block)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return len(data) - back + 1
        if byte >= 0xC0:
            return len(data) - back
    return len(data)


def _first_invalid_utf8(data: bytes) -> int | None:
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int32))
    try:
        pa.StringArray.from_buffers(1, offsets, pa.py_buffer(data)).validate(full=True)
    except pa.ArrowInvalid:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as error:
            return error.start
    return None


def _check_cp1252(path: Path, head: bytes) -> None:
    """Reject a non-UTF-8 file that is not Windows-1252 either.

    Five bytes mean nothing in Windows-1252 (checked in the whole file). And Western text has
    its accented letters between ASCII ones, while Chinese or Japanese double-byte encodings
    (Big5, GBK, Shift-JIS), which decode as Windows-1252 mojibake, have their non-ASCII bytes
    in runs: when most of the head's (at least 16) non-ASCII bytes sit in runs, it is not
    Windows-1252.
    """
    high = len(head) - len(head.translate(None, _HIGH_BYTES))
    in_runs = sum(map(len, _HIGH_BYTE_RUN.findall(head)))
    line = 1 if high >= 16 and in_runs * 2 > high else None
    offset = 0
    with path.open("rb") as handle:
        while line is None and (block := handle.read(_SCAN_BYTES)):
            found = [block.find(byte) for byte in _CP1252_UNDEFINED if byte in block]
            if found:
                line = _line_at(path, offset + min(found))
            offset += len(block)
    if line is not None:
        raise unreadable(
            f"encodage des caractères non reconnu (ni UTF-8, ni UTF-16, ni Windows-1252) à la "
            f"ligne {line} : enregistrez le fichier en « CSV UTF-8 »",
            f"unknown character encoding (neither UTF-8, UTF-16 nor Windows-1252) at line "
            f'{line}: save the file as "CSV UTF-8"',
            row=line,
        )


def _line_at(path: Path, offset: int) -> int:
    """Physical line (1-based; CRLF, LF or CR breaks) holding the byte at `offset`."""
    breaks, previous = 0, b""
    with path.open("rb") as handle:
        while offset > 0 and (block := handle.read(min(_SCAN_BYTES, offset))):
            offset -= len(block)
            breaks += block.count(b"\n") + block.count(b"\r") - block.count(b"\r\n")
            breaks -= previous == b"\r" and block.startswith(b"\n")
            previous = block[-1:]
    return breaks + 1


def _mixed_encoding(line: int) -> FileRejected:
    return reject_file(
        Reason.MIXED_ENCODING,
        f"Encodages mélangés : le début du fichier est en UTF-8 mais pas la ligne {line} "
        "(caractères accentués enregistrés dans un autre encodage). Enregistrez le fichier en "
        "« CSV UTF-8 » depuis Excel et renvoyez-le.",
        f"Mixed encodings: the file starts in UTF-8 but line {line} is not UTF-8. Save the "
        'file as "CSV UTF-8" from Excel and send it again.',
        row=line,
    )


def _unknown_format(detail_fr: str, detail_en: str) -> FileRejected:
    return reject_file(
        Reason.UNKNOWN_FORMAT,
        f"Format non reconnu ({detail_fr}) : envoyez un classeur .xlsx ou un fichier CSV.",
        f"Unknown format ({detail_en}): send an .xlsx workbook or a CSV file.",
    )
