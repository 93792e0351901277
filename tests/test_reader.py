"""The file reader, rule by rule: what sellers' Excel exports really hold, and hostile files.

Every fixture is generated here in `tmp_path` (no binary fixture files): the bytes of each
case are visible in the test that uses them.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import time
import zipfile
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from unittest import mock

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders import csv_reader
from loaders.headers import normalize_header
from loaders.reader import open_table
from loaders.table import ReadInfo, ReadLimits
from loaders.xlsx_guard import check_xlsx
from loaders.xlsx_reader import cell_text
from marketplace.errors import FileRejected, Problem, Reason, Severity

KNOWN = frozenset({"sku", "title", "price", "quantity", "reference", "titre", "prix"})


def read(
    path: Path, known: frozenset[str] = KNOWN, **options
) -> tuple[ReadInfo, pd.DataFrame, list[Problem]]:
    """Open and iterate `path`: what it detected, all its rows, all its problems."""
    with open_table(path, known_headers=known, **options) as table:
        chunks = list(table)
    assert all(len(chunk.frame) <= table.limits.chunk_rows for chunk in chunks)
    frames = [chunk.frame for chunk in chunks]
    frame = pd.concat(frames) if frames else pd.DataFrame()
    return table.info, frame, [problem for chunk in chunks for problem in chunk.problems]


def rejected(path: Path, known: frozenset[str] = KNOWN, **options) -> Problem:
    """The problem `path` is rejected with (on open or while iterating)."""
    with pytest.raises(FileRejected) as caught:
        read(path, known, **options)
    assert caught.value.problem.message_fr and caught.value.problem.message_en
    return caught.value.problem


def write(tmp_path: Path, content: str | bytes, encoding: str = "utf-8", name="f.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def rows(frame: pd.DataFrame) -> dict[int, list[str]]:
    return dict(zip(frame.index, frame.values.tolist(), strict=True))


def make_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, sheet_rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in sheet_rows:
            sheet.append(row)
    workbook.save(path)
    return path


def rewrite_entry(path: Path, name: str, edit) -> None:
    """Replace zip entry `name` of `path` by `edit(old bytes)` (bytes, or an iterable of)."""
    source = path.read_bytes()
    with (
        zipfile.ZipFile(io.BytesIO(source)) as old,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new,
    ):
        for info in old.infolist():
            data = old.read(info.filename)
            if info.filename != name:
                new.writestr(info, data)
                continue
            produced = edit(data)
            with new.open(name, "w", force_zip64=True) as part:
                for piece in [produced] if isinstance(produced, bytes) else produced:
                    part.write(piece)


# --------------------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Référence ", "reference"),
        ("Prix TTC", "prix_ttc"),
        ("offer-sku", "offer_sku"),
        ("Délai d'expédition", "delai_d'expedition"),
        ("Délai d\u2019expédition", "delai_d'expedition"),
        ("Prix\u00a0\u00a0TTC", "prix_ttc"),
        ("  ref  vendeur ", "ref_vendeur"),
        ("Quantité*", "quantite"),
        ("SKU :", "sku"),
        ("\ufeffsku", "sku"),
        ("product_id__type", "product_id_type"),
        ("ÉTAT", "etat"),
    ],
)
def test_normalize_header(text: str, key: str) -> None:
    assert normalize_header(text) == key


# --------------------------------------------------------------------------- format


def test_format_is_read_from_the_content_not_the_name(tmp_path: Path) -> None:
    workbook = make_xlsx(tmp_path / "offers.csv", {"Offres": [["sku", "title"], ["A1", "x"]]})
    assert read(workbook)[0].format == "xlsx"
    text = write(tmp_path, "sku;title\r\nA1;x\r\n", name="offers.xlsx")
    assert read(text)[0].format == "csv"


@pytest.mark.parametrize("extension", [".xls", ".xlsx", ".csv"])
def test_ole2_file_is_encrypted_or_legacy_xls(tmp_path: Path, extension: str) -> None:
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    problem = rejected(write(tmp_path, ole2, name=f"offers{extension}"))
    assert problem.code is Reason.ENCRYPTED
    assert (
        "fichier protégé par mot de passe ou au format Excel 97-2003 (.xls) : enregistrez-le "
        "en .xlsx sans mot de passe ou en CSV" in problem.message_fr
    )


@pytest.mark.parametrize(
    "content",
    [bytes(range(256)) * 40, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00\x10" * 300],
    ids=["all-bytes", "png"],
)
def test_binary_content_named_csv_is_unknown_format(tmp_path: Path, content: bytes) -> None:
    assert rejected(write(tmp_path, content)).code is Reason.UNKNOWN_FORMAT


def test_a_missing_file_is_unreadable(tmp_path: Path) -> None:
    assert rejected(tmp_path / "nowhere.csv").code is Reason.UNREADABLE


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"  \r\n\r\n\t\n",
        codecs.BOM_UTF8,
        codecs.BOM_UTF16_LE,
        codecs.BOM_UTF16_BE + " \n".encode("utf-16-be"),
    ],
)
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    assert rejected(write(tmp_path, content)).code is Reason.EMPTY_FILE


@pytest.mark.parametrize(
    "content", ["sku;title;price\r\n", "sku;title;price", "sku;title;price\r\n;;\r\n\r\n;;\r\n"]
)
def test_header_without_data_rows(tmp_path: Path, content: str) -> None:
    problem = rejected(write(tmp_path, content))
    assert problem.code is Reason.NO_ROWS
    assert "ligne 1" in problem.message_fr


# --------------------------------------------------------------------------- encodings

FRENCH = "sku;title;price\r\nA1;Œuvre « été » – 1 €;12,50\r\nA2;cœur;3\r\n"


@pytest.mark.parametrize(
    ("encoding", "bom", "label"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
        ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16"),
        ("utf-16-le", b"", "utf-16"),  # UTF-16LE without BOM: NUL bytes at odd positions
        ("cp1252", b"", "cp1252"),  # French Excel's "CSV (séparateur: point-virgule)"
    ],
)
def test_encodings(tmp_path: Path, encoding: str, bom: bytes, label: str) -> None:
    info, frame, problems = read(write(tmp_path, bom + FRENCH.encode(encoding)))
    assert (info.encoding, info.delimiter, info.headers) == (label, ";", ["sku", "title", "price"])
    assert rows(frame) == {2: ["A1", "Œuvre « été » – 1 €", "12,50"], 3: ["A2", "cœur", "3"]}
    assert problems == []


def test_excel_for_mac_csv_is_read_as_mac_roman(tmp_path: Path) -> None:
    """"CSV (Macintosh)": é is 0x8E, Windows-1252's Ž. "Télévision" loaded as "TŽlŽvision"."""
    text = "sku;title\rA1;Télévision écran plat\rA2;Chargeur à induction, façade grisée\r"
    path = tmp_path / "mac.csv"
    path.write_bytes(text.encode("mac_roman"))
    info, frame, _ = read(path)
    assert info.encoding == "mac-roman"
    assert rows(frame) == {2: ["A1", "Télévision écran plat"],
                           3: ["A2", "Chargeur à induction, façade grisée"]}


@pytest.mark.parametrize("titles", [("Crème brûlée à la française", "Garçon"),
                                    ("Télévision écran plat", "Réveil à quartz"),
                                    ("Clé plate n°13", "Carrelage grès cérame 1 m²")])
def test_a_dos_csv_is_read_as_code_page_850(tmp_path: Path, titles) -> None:
    """An accounting program's DOS export: read as Mac Roman, "Crème brûlée" was published
    "Cräme brñlÇe"; with only é and à, as Windows-1252, "T‚l‚vision"; exit 0 both times."""
    text = f"sku;title\r\nD1;{titles[0]}\r\nD2;{titles[1]} 19,90 €\r\n"
    path = tmp_path / "dos.csv"
    path.write_bytes(text.encode("cp858"))
    info, frame, _ = read(path)
    assert info.encoding == "cp858"
    assert rows(frame) == {2: ["D1", titles[0]], 3: ["D2", f"{titles[1]} 19,90 €"]}


@pytest.mark.parametrize(("text", "codec", "label"), [
    ("Tailles S … XL, couleurs rouge … bleu", "cp1252", "cp1252"),  # … is DOS's à
    ("CALEÇON COTON, LEÇON DE FRANÇAIS", "mac_roman", "mac-roman"),  # Ç is DOS's é
])
def test_windows_or_mac_signs_in_the_dos_range_are_not_taken_for_dos(tmp_path: Path, text, codec,
                                                                      label) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(f"sku;title\r\nA1;{text}\r\nA2;{text}\r\n".encode(codec))
    info, frame, _ = read(path)
    assert (info.encoding, rows(frame)[2]) == (label, ["A1", text])


def test_latin_9_csv_is_read_as_latin_9(tmp_path: Path) -> None:
    """ISO-8859-15 puts Œ œ € where Windows-1252 has ¼ ½ ¤: "Œuvres" was published "¼uvres"
    and a price "12,50 €" refused as "12,50 ¤"."""
    text = ("sku;titre;prix\r\nL1;Œuvres complètes;12,50 €\r\nL2;Le Cœur a ses raisons;9,90\r\n"
            "L3;ŒUVRES;1\r\n")
    path = tmp_path / "latin9.csv"
    path.write_bytes(text.encode("iso8859_15"))
    info, frame, _ = read(path, frozenset({"sku", "titre", "prix"}))
    assert info.encoding == "iso-8859-15"
    assert rows(frame) == {2: ["L1", "Œuvres complètes", "12,50 €"],
                           3: ["L2", "Le Cœur a ses raisons", "9,90"], 4: ["L3", "ŒUVRES", "1"]}


@pytest.mark.parametrize("title", ["Škoda déjà vue", "don’t “quote” – Š",
                                   "Slavoj Žižek, édition reliée",
                                   "Mèche ¼ de pouce, 1½L", "Prix ¤ 12 € œuvre",
                                   # a fraction or a ´ beside a letter once read as Latin-9
                                   # turned the file's every ´ into Ž and ½ into œ
                                   "Jus pack 6x½ litre, l´été", "Coloris : Vert¦Noir",
                                   "Pizza ¼ fromages, s½ur",
                                   # „ and a word-final Ó are Mac Roman's Ñ and ”
                                   "Brettspiel „Die Siedler von Catan“",
                                   "JOGO DE DOMINÓ, PÓ DE ARROZ"])
def test_windows_1252_with_its_own_signs_is_taken_for_neither_mac_roman_nor_latin_9(
        tmp_path: Path, title) -> None:
    path = tmp_path / "w.csv"
    path.write_bytes(f"sku;title\r\nA1;{title}\r\nA2;{title}\r\n".encode("cp1252"))
    info, frame, _ = read(path)
    assert (info.encoding, frame.loc[2, 1]) == ("cp1252", title)


def test_ascii_start_then_windows_1252_is_windows_1252_not_mixed(tmp_path: Path) -> None:
    lines = ["sku;title", *(f"A{i};chaise" for i in range(5000)), "B1;Crème brûlée"]
    info, frame, _ = read(write(tmp_path, "\r\n".join(lines), "cp1252"))
    assert info.encoding == "cp1252"
    assert frame.loc[5002, 1] == "Crème brûlée"


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8])
def test_utf8_then_other_bytes_is_mixed_encoding_at_its_line(tmp_path: Path, bom: bytes) -> None:
    good = "sku;title\nA1;Crème\n" if not bom else "sku;title\nA1;Creme\n"
    content = bom + good.encode("utf-8") + "A2;ok\nA3;Crème\n".encode("cp1252")
    problem = rejected(write(tmp_path, content))
    assert problem.code is Reason.MIXED_ENCODING
    assert problem.row == 4 and "ligne 4" in problem.message_fr


def test_mixed_encoding_found_far_into_a_big_file(tmp_path: Path) -> None:
    head = "sku;title\r\n" + "A;Crème\r\n" * 600_000  # several scan blocks of valid UTF-8
    content = head.encode("utf-8") + "B;Crème\r\n".encode("cp1252")
    problem = rejected(write(tmp_path, content))
    assert (problem.code, problem.row) == (Reason.MIXED_ENCODING, 600_002)


def test_byte_undefined_in_windows_1252_is_unreadable(tmp_path: Path) -> None:
    content = "sku;title\r\nA1;été\r\n".encode("cp1252") + b"A2;\x81\r\n"
    problem = rejected(write(tmp_path, content))
    assert (problem.code, problem.row) == (Reason.UNREADABLE, 3)
    assert "CSV UTF-8" in problem.message_fr


def test_chinese_double_byte_file_is_not_taken_for_windows_1252(tmp_path: Path) -> None:
    content = b"sku,title\r\n" + "A1,景點中文名稱\r\nA2,雲嘉南濱海國家風景區\r\n".encode("big5")
    assert rejected(write(tmp_path, content)).code is Reason.UNREADABLE


@pytest.mark.parametrize("bom", [codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE])
def test_utf32_is_not_supported(tmp_path: Path, bom: bytes) -> None:
    problem = rejected(write(tmp_path, bom + b"sku,title\r\nA1,x\r\n"))
    assert problem.code is Reason.UNKNOWN_FORMAT and "UTF-32" in problem.message_fr


def test_truncated_utf16_is_unreadable(tmp_path: Path) -> None:
    content = codecs.BOM_UTF16_LE + "sku;title\r\nA1;x\r\n".encode("utf-16-le") + b"A"
    assert rejected(write(tmp_path, content)).code is Reason.UNREADABLE


def test_utf16_bom_before_8bit_text_is_unreadable(tmp_path: Path) -> None:
    problem = rejected(write(tmp_path, codecs.BOM_UTF16_LE + b"sku,title\r\nA1,x\r\n"))
    assert problem.code is Reason.UNREADABLE and "UTF-16" in problem.message_fr


# --------------------------------------------------------------------------- delimiters


@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_delimiter_detected(tmp_path: Path, delimiter: str) -> None:
    table = [
        ["sku", "title", "price"],
        ["A1", "Chaise, bois; 2|3\tplaces", "12,50"],
        ["A2", "Table", "1 234,50"],
    ]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(table)
    info, frame, _ = read(write(tmp_path, buffer.getvalue()))
    assert info.delimiter == delimiter
    assert rows(frame) == {2: table[1], 3: table[2]}


def test_decimal_commas_do_not_fool_the_semicolon(tmp_path: Path) -> None:
    content = "sku;title;price;old price\r\nA1;x;12,50;13,99\r\nA2;y;1,5;2,5\r\n"
    info, frame, _ = read(write(tmp_path, content))
    assert info.delimiter == ";" and frame.loc[2].tolist() == ["A1", "x", "12,50", "13,99"]


@pytest.mark.parametrize(
    ("text", "best"),
    [
        ("sku;title;price\na;b;1,5\nc;d;2,5\n", ";"),
        ("Catalogue, été 2024\nsku\tprice\na\t1,5\nb\t2\n", "\t"),
        ('sku,title\n"a;b;c;d",x\n"e;f;g;h",y\n', ","),
        ("sku|title|price\na|b, c, d|1\ne|f|2\n", "|"),
        ("no delimiter at all\n", ";"),
    ],
)
def test_rank_delimiters(text: str, best: str) -> None:
    assert csv_reader._rank_delimiters(text)[0] == best


def test_the_delimiter_under_which_the_header_is_found_wins(tmp_path: Path) -> None:
    # commas are the most consistent here, but only `;` splits a header row
    content = "sku;title\r\n1,5;2,5\r\n3,5;4,5\r\n"
    info, frame, _ = read(write(tmp_path, content))
    assert info.delimiter == ";" and frame.loc[2].tolist() == ["1,5", "2,5"]


# --------------------------------------------------------------------------- values, rows


def test_values_stay_exactly_as_sent(tmp_path: Path) -> None:
    content = 'sku;product_id;title;price\r\n000123;0012345678905;"  padded  ";1 234,50\r\nA;;x;\r\n'
    _, frame, _ = read(write(tmp_path, content))
    assert rows(frame) == {
        2: ["000123", "0012345678905", "  padded  ", "1 234,50"],
        3: ["A", "", "x", ""],
    }
    assert all(dtype == "str" for dtype in frame.dtypes)


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_row_numbers_are_excel_rows(tmp_path: Path, newline: str) -> None:
    lines = [
        "sku;title;price",
        'A1;"two',
        'lines";1',
        "",  # a blank line is a row Excel shows: counted, not returned
        ";;",  # Excel's padding of an empty row
        "A2;x;2",
    ]
    _, frame, problems = read(write(tmp_path, newline.join(lines) + newline))
    assert rows(frame) == {2: ["A1", f"two{newline}lines", "1"], 5: ["A2", "x", "2"]}
    assert problems == []


@pytest.fixture(params=["fast", "precise"])
def csv_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Read CSV files on the fast path (small blocks: many of them) or on the precise path only."""
    monkeypatch.setattr(csv_reader, "_ARROW_BLOCK_BYTES", 32)
    if request.param == "precise":
        monkeypatch.setattr(csv_reader._ArrowBody, "parts", lambda self, handle: iter([None]))
    return request.param


@pytest.mark.parametrize("hint", ["sep=;", "SEP=;"])
@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_excel_delimiter_hint_line_is_not_a_row(
    tmp_path: Path, csv_path: str, hint: str, newline: str
) -> None:
    lines = [hint, "sku;title;price", "A1;x,1;1", "", 'A2;"two', 'lines";2', "A3;z;3"]
    info, frame, problems = read(write(tmp_path, newline.join(lines) + newline))
    assert (info.delimiter, info.header_row, info.headers) == (";", 1, ["sku", "title", "price"])
    assert rows(frame) == {2: ["A1", "x,1", "1"], 4: ["A2", f"two{newline}lines", "2"], 5: ["A3", "z", "3"]}
    assert problems == []


def test_delimiter_hint_above_instruction_rows(tmp_path: Path) -> None:
    content = "sep=,\r\nModèle d'import\r\nsku,title,price\r\nA1,x,\"1,5\"\r\n"
    info, frame, _ = read(write(tmp_path, content))
    assert (info.delimiter, info.header_row, rows(frame)) == (",", 2, {3: ["A1", "x", "1,5"]})


def test_rows_of_blank_cells_are_empty_rows(tmp_path: Path, csv_path: str) -> None:
    blank = [" ; ; ", ";;\u00a0", "\u00a0;\u202f;\t", " ; ; ; ; ", '" ";"";']  # too wide; quoted
    lines = ["sku;title;price", "A1;x;1", *blank, "A2; y ;2"]
    info, frame, problems = read(write(tmp_path, "\r\n".join(lines) + "\r\n"))
    assert rows(frame) == {2: ["A1", "x", "1"], 8: ["A2", " y ", "2"]}
    assert (info.rows_read, problems) == (2, [])


def test_a_file_of_blank_rows_has_no_data_rows(tmp_path: Path, csv_path: str) -> None:
    assert rejected(write(tmp_path, "sku;title\r\n ; \r\n\u00a0;\r\n")).code is Reason.NO_ROWS


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_header_under_instruction_rows(tmp_path: Path, encoding: str) -> None:
    lines = [
        "Modèle d'import des offres;;",
        "Remplissez une ligne par offre, les colonnes marquées * sont obligatoires;;",
        ";;",
        "Référence *;Titre *;Prix TTC",
        "A1;Chaise;12,50",
    ]
    known = frozenset({"reference", "titre", "prix_ttc"})
    info, frame, _ = read(write(tmp_path, "\r\n".join(lines), encoding), known)
    assert (info.header_row, info.headers) == (4, ["Référence *", "Titre *", "Prix TTC"])
    assert rows(frame) == {5: ["A1", "Chaise", "12,50"]}


def test_a_row_of_codes_under_a_row_of_labels_is_the_header(tmp_path: Path) -> None:
    lines = ["Titre;Prix;Stock disponible", "title;price;quantity", "Chaise;12,50;3"]
    info, frame, _ = read(write(tmp_path, "\r\n".join(lines)))
    assert (info.header_row, info.headers, rows(frame)) == (
        2, ["title", "price", "quantity"], {3: ["Chaise", "12,50", "3"]})
    fewer = ["title;price;quantity", "prix;x;y", "Chaise;12,50;3"]  # a data row, not codes
    info, frame, _ = read(write(tmp_path, "\r\n".join(fewer)))
    assert (info.header_row, sorted(rows(frame))) == (1, [2, 3])


def test_no_header_in_the_first_ten_rows(tmp_path: Path) -> None:
    content = "note\r\n" * 10 + "sku;title\r\nA1;x\r\n"
    problem = rejected(write(tmp_path, content))
    assert problem.code is Reason.NO_HEADER
    assert "10 premières lignes" in problem.message_fr and "sku" in problem.message_fr


def test_one_known_name_is_not_a_header(tmp_path: Path) -> None:
    assert rejected(write(tmp_path, "sku;colour\r\nA1;red\r\n")).code is Reason.NO_HEADER


def test_a_header_with_one_known_name_is_named_in_the_rejection(tmp_path: Path) -> None:
    """A Shopify export ("Title" beside "Variant SKU", "Variant Price") was told "none of the
    first 10 rows is a header" while its row 1 plainly is one."""
    content = "Handle,Title,Variant SKU,Variant Price\r\nchaise,Chaise,A1,12.50\r\n"
    problem = rejected(write(tmp_path, content), frozenset({"sku", "title", "price"}))
    assert (problem.code, problem.row) == (Reason.NO_HEADER, 1)
    assert problem.message_fr.startswith("Ligne d'en-tête introuvable : la ligne 1 a l'air d'un"
                                         " en-tête, mais seule la colonne « Title » y porte")


def test_a_yes_or_no_hint_does_not_hide_a_known_name_from_the_header_search(tmp_path: Path) -> None:
    """"Intitulé;Mise en situation ?;Tarif" was "no header row" (one known name) once the
    hinted names stopped being aliases: the missing price, and its suggestion, went unsaid."""
    known = frozenset({"intitule", "mise en situation"})
    info, frame, _ = read(write(tmp_path, "Intitulé;Mise en situation ?;Tarif\r\nF1;oui;90\r\n"),
                          known)
    assert (info.header_row, rows(frame)) == (1, {2: ["F1", "oui", "90"]})


def test_forced_header_row(tmp_path: Path) -> None:
    content = "x\r\n" * 11 + "a;b\r\n1;2\r\n"
    info, frame, _ = read(write(tmp_path, content), frozenset(), header_row=12)
    assert (info.header_row, rows(frame)) == (12, {13: ["1", "2"]})
    assert rejected(write(tmp_path, content), frozenset(), header_row=40).code is Reason.NO_HEADER


# --------------------------------------------------------------------------- row shapes

HEAD = "sku;title;price;quantity\r\n"


def test_short_rows_are_padded_and_empty_extra_fields_accepted(tmp_path: Path) -> None:
    content = HEAD + "A1;x\r\nA2;y;3;4;;\r\nA3;z;5;6\r\n"
    _, frame, problems = read(write(tmp_path, content))
    assert rows(frame) == {
        2: ["A1", "x", "", ""],
        3: ["A2", "y", "3", "4"],
        4: ["A3", "z", "5", "6"],
    }
    assert problems == []


def test_too_many_fields(tmp_path: Path) -> None:
    content = HEAD + "A1;x;1;2\r\nA2;y;1,5;2;oops\r\nA3;z;3;4\r\n"
    _, frame, problems = read(write(tmp_path, content))
    assert list(frame.index) == [2, 4]
    assert [(p.code, p.row) for p in problems] == [(Reason.FIELD_COUNT, 3)]
    assert problems[0].message_fr.startswith("La ligne 3 a 5 colonnes au lieu de 4")
    assert problems[0].value == "A2;y;1,5;2;oops"


def test_unclosed_quote_in_the_middle_is_reported_and_the_rest_read(tmp_path: Path) -> None:
    lines = ["A1;x;1;1", 'A2;"Chaise 12";2;2', 'A3;"Chaise;3;3', "A4;t;4;4", 'A5;"a ""b""";5;5']
    _, frame, problems = read(write(tmp_path, HEAD + "\r\n".join(lines) + "\r\n"))
    assert [(p.code, p.row) for p in problems] == [(Reason.UNBALANCED_QUOTE, 4)]
    assert "Ligne 4" in problems[0].message_fr
    assert rows(frame) == {
        2: ["A1", "x", "1", "1"],
        3: ["A2", "Chaise 12", "2", "2"],
        5: ["A4", "t", "4", "4"],
        6: ["A5", 'a "b"', "5", "5"],
    }


def test_unclosed_quote_running_to_the_end_of_the_file(tmp_path: Path) -> None:
    content = HEAD + 'A1;"open;1;1\r\nA2;x;2;2\r\nA3;y;3;3\r\n'
    _, frame, problems = read(write(tmp_path, content))
    assert [(p.code, p.row) for p in problems] == [(Reason.UNBALANCED_QUOTE, 2)]
    assert list(frame.index) == [3, 4]


def test_unclosed_quote_on_the_last_line_without_line_break(tmp_path: Path) -> None:
    _, frame, problems = read(write(tmp_path, HEAD + 'A1;x;1;1\r\nA2;"y;2;2'))
    assert [(p.code, p.row) for p in problems] == [(Reason.UNBALANCED_QUOTE, 3)]
    assert list(frame.index) == [2]


def test_runaway_quote_stops_at_the_field_limit(tmp_path: Path) -> None:
    rest = "".join(f"A{i};t;{i};{i}\r\n" for i in range(3, 200))
    content = HEAD + 'A1;"never closed;1;1\r\n' + rest
    _, frame, problems = read(write(tmp_path, content), limits=ReadLimits(max_field_chars=300))
    assert [(p.code, p.row) for p in problems] == [(Reason.UNBALANCED_QUOTE, 2)]
    assert list(frame.index) == list(range(3, 200))


def test_a_50000_character_cell_reads_fine(tmp_path: Path) -> None:
    long = "é" * 50_000
    _, frame, problems = read(write(tmp_path, HEAD + f"A1;{long};1;1\r\n"))
    assert frame.loc[2, 1] == long and problems == []


def test_a_cell_over_the_field_limit(tmp_path: Path) -> None:
    content = HEAD + "A1;x;1;1\r\nA2;" + "y" * 500 + ";2;2\r\nA3;z;3;3\r\n"
    _, frame, problems = read(write(tmp_path, content), limits=ReadLimits(max_field_chars=100))
    assert [(p.code, p.row, p.column) for p in problems] == [(Reason.FIELD_TOO_LONG, 3, "title")]
    assert list(frame.index) == [2, 4]


def test_an_overlong_line_is_skipped_not_loaded(tmp_path: Path) -> None:
    content = "sku;title\r\nA1;x\r\nA2" + "y" * 5000 + "\r\nA3;z\r\n"
    limits = ReadLimits(max_field_chars=100)
    _, frame, problems = read(write(tmp_path, content), limits=limits)
    assert [(p.code, p.row) for p in problems] == [(Reason.FIELD_TOO_LONG, 3)]
    assert rows(frame) == {2: ["A1", "x"], 4: ["A3", "z"]}


def test_a_short_row_with_a_cell_over_the_csv_module_limit_is_that_row_only(
    tmp_path: Path,
) -> None:
    """A row pyarrow refuses for its width, whose cell is past the csv module's own 131,072
    characters (10 MB in one line, as the last line): reported, not an internal failure."""
    content = "sku;title\r\nA1;x\r\nA3;z\r\n" + "y" * 200_000
    _, frame, problems = read(write(tmp_path, content))
    assert [(p.code, p.row) for p in problems] == [(Reason.FIELD_TOO_LONG, 4)]
    assert rows(frame) == {2: ["A1", "x"], 3: ["A3", "z"]}


MESSY = (
    HEAD
    + "A1;x;1;1\r\n"
    + 'A2;"multi\r\nline";2;2\r\n'
    + "\r\n"
    + "A3;short\r\n"
    + "A4;x;4;4;extra\r\n"
    + ";;;\r\n"
    + "".join(f"B{i};t;{i};{i}\r\n" for i in range(40))
    + "C1;y\r\n"
    + 'C2;"a\r\nb";1;1;2\r\n'
    + "C3;z;9;9\r\n"
)
MESSY_PROBLEMS = [(Reason.FIELD_COUNT, 6), (Reason.FIELD_COUNT, 49)]


@pytest.mark.parametrize("block_bytes", [64, 300, 16 * 1024 * 1024])
def test_fast_and_precise_paths_agree_whatever_the_batches(
    tmp_path: Path, block_bytes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_reader, "_ARROW_BLOCK_BYTES", block_bytes)
    _, frame, problems = read(write(tmp_path, MESSY), limits=ReadLimits(chunk_rows=7))
    assert [(p.code, p.row) for p in problems] == MESSY_PROBLEMS
    assert list(frame.index) == [2, 3, 5, *range(8, 49), 50]
    assert frame.loc[3, 1] == "multi\r\nline" and frame.loc[5].tolist() == ["A3", "short", "", ""]
    assert frame.loc[48].tolist() == ["C1", "y", "", ""]


STRADDLING = [
    'A1;TV 55" LED;1;1',  # a quote inside an unquoted cell: text, it fools a quote count
    *(f"B{i};t;{i};{i}" for i in range(6)),
    'C1;"first line\r\nsecond ""quoted"" line\r\nthird line";2;2',
    *(f"D{i};t;{i};{i}" for i in range(4)),
    'E1;"short row\r\nover two lines"',
    "F1;Crème;3;3",
]


@pytest.mark.parametrize("block_bytes", [8, 24, 40, 64, 100, 160])
@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "utf-16"])
def test_a_quoted_multi_line_cell_across_a_block_boundary_reads_as_the_csv_module_says(
    tmp_path: Path, block_bytes: int, newline: str, encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # small blocks: some are cut inside the quoted cells, some after the quote in `55" LED`
    monkeypatch.setattr(csv_reader, "_ARROW_BLOCK_BYTES", block_bytes)
    content = (HEAD + "".join(f"{line}\r\n" for line in STRADDLING)).replace("\r\n", newline)
    records = list(csv.reader(io.StringIO(content, newline=""), delimiter=";"))[1:]
    expected = {number: cells + [""] * (4 - len(cells)) for number, cells in enumerate(records, start=2)}
    info, frame, problems = read(write(tmp_path, content, encoding))
    assert info.encoding == encoding and problems == []
    assert rows(frame) == expected
    assert frame.loc[9, 1] == f'first line{newline}second "quoted" line{newline}third line'


def test_short_and_long_rows_stay_on_the_fast_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def precise_path(*_):
        raise AssertionError("the precise path was not needed")

    monkeypatch.setattr(csv_reader, "_ARROW_BLOCK_BYTES", 64)  # many batches, refused rows at ends
    monkeypatch.setattr(csv_reader._CsvTable, "_precise_chunks", precise_path)
    lines = [
        "" if i % 7 == 0 else f"A{i};t" if i % 3 else f"A{i};t;{i};{i};{'x' if i % 5 == 0 else ''}"
        for i in range(60)
    ]
    _, frame, problems = read(write(tmp_path, HEAD + "\r\n".join(lines) + "\r\n"))
    expected = {
        i + 2: [f"A{i}", "t", "", ""] if i % 3 else [f"A{i}", "t", str(i), str(i)]
        for i in range(60)
        if i % 7 and not (i % 3 == 0 and i % 5 == 0)
    }
    assert rows(frame) == expected
    assert [p.row for p in problems] == [i + 2 for i in range(60) if i % 15 == 0 and i % 7]


def test_precise_path_resumes_after_the_rows_already_returned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_reader, "_ARROW_BLOCK_BYTES", 128)
    body = "".join(f"A{i};t;{i};{i}\r\n" for i in range(100))
    content = HEAD + body + "Z;" + "x" * 80 + ";1;1\r\n" + body
    limits = ReadLimits(max_field_chars=50, chunk_rows=30)
    _, frame, problems = read(write(tmp_path, content), limits=limits)
    assert [(p.code, p.row) for p in problems] == [(Reason.FIELD_TOO_LONG, 102)]
    assert list(frame.index) == [*range(2, 102), *range(103, 203)]


def test_chunks_hold_at_most_chunk_rows(tmp_path: Path) -> None:
    content = HEAD + "".join(f"A{i};t;{i};{i}\r\n" for i in range(11))
    with open_table(write(tmp_path, content), known_headers=KNOWN, limits=ReadLimits(chunk_rows=4)) as table:
        sizes = [len(chunk.frame) for chunk in table]
    assert sizes == [4, 4, 3] and table.info.rows_read == 11


# --------------------------------------------------------------------------- limits


def test_file_over_max_bytes(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "A1;x;1;1\r\n" * 100)
    assert rejected(path, limits=ReadLimits(max_bytes=500)).code is Reason.TOO_LARGE


def test_more_data_rows_than_max_rows(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "A1;x;1;1\r\n" * 12)
    problem = rejected(path, limits=ReadLimits(max_rows=10, chunk_rows=5))
    assert problem.code is Reason.TOO_LARGE and "10 lignes" in problem.message_fr
    assert read(path, limits=ReadLimits(max_rows=12))[0].rows_read == 12


def test_more_columns_than_max_columns(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "A1;x;1;1\r\n")
    assert rejected(path, limits=ReadLimits(max_columns=3)).code is Reason.TOO_LARGE


# --------------------------------------------------------------------------- XLSX


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("000123", "000123"),
        (True, "TRUE"),
        (False, "FALSE"),
        (42, "42"),
        (12.0, "12"),
        (12.5, "12.5"),
        (0.1 + 0.2, "0.3"),  # Excel shows 15 significant digits
        (1e-7, "0.0000001"),
        (3.60029e12, "3600290000000"),
        (1.5e16, "1.50000000000000E+16"),  # past 15 digits: as Excel shows it, digits lost
        (datetime(2024, 3, 1), "2024-03-01"),
        (datetime(2024, 3, 1, 14, 5, 9), "2024-03-01 14:05:09"),
        (date(2024, 3, 1), "2024-03-01"),
        (clock(14, 5, 9), "14:05:09"),
        (timedelta(hours=26, minutes=3), "26:03:00"),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_xlsx_header_under_instructions_and_sheet_choice(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "offers.xlsx",
        {
            "Instructions": [["Lisez-moi"], ["sku", "title"], ["NOT", "this sheet"]],
            "Offres": [
                ["Catalogue 2024"],
                ["Une ligne par offre"],
                [],
                ["Référence", "Titre", "Prix", "Stock", "Date"],
                ["000123", "Chaise", 12.5, 3, datetime(2024, 3, 1)],
                [None, None, None, None, None],
                ["A2", "Table", 1234.0, True, "=1+1"],
            ],
        },
    )
    known = frozenset({"reference", "titre", "prix"})
    info, frame, problems = read(path, known, preferred_sheets=("offers", "offres"))
    assert (info.format, info.sheet, info.header_row) == ("xlsx", "Offres", 4)
    assert info.headers == ["Référence", "Titre", "Prix", "Stock", "Date"]
    assert rows(frame) == {  # openpyxl gives a datetime the format yyyy-mm-dd h:mm:ss
        5: ["000123", "Chaise", "12.5", "3", "2024-03-01 00:00:00"],
        7: ["A2", "Table", "1234", "TRUE", ""],  # a formula never calculated: no cached value
    }
    assert [(p.code, p.row, p.column, p.value) for p in problems] == [
        (Reason.FORMULA_NOT_CALCULATED, 7, "Date", "=1+1")]
    assert read(path, frozenset({"sku", "title"}))[0].sheet == "Instructions"


def saved_by_excel(path: Path) -> None:
    """Excel clears the request to recalculate every formula on opening that openpyxl writes:
    its formulas' values are then those it calculated."""
    rewrite_entry(path, "xl/workbook.xml", lambda xml: xml.replace(b' fullCalcOnLoad="1"', b""))


def test_formulas_saved_without_their_value_are_named_cell_by_cell(tmp_path: Path) -> None:
    """A program's workbook holds formulas without values; Excel's hold both. Only the first
    are read empty, and each is said, with its formula; cells right of the table are not."""
    path = make_xlsx(tmp_path / "erp.xlsx", {"Offres": [
        ["sku", "titre", "prix"],
        ["A1", "Chaise", "=10*2", "=NOTE"],
        ["A2", '=CONCAT("Table", " & co")', 12],
        ["A3", "Lampe", "=C3*1.2"],
    ]})
    rewrite_entry(path, "xl/worksheets/sheet1.xml",  # A3's price as Excel saves it: with a value
                  lambda xml: xml.replace(b"<f>C3*1.2</f><v></v>", b"<f>C3*1.2</f><v>14.4</v>"))
    saved_by_excel(path)
    _, frame, problems = read(path, frozenset({"sku", "titre", "prix"}))
    assert rows(frame) == {2: ["A1", "Chaise", ""], 3: ["A2", "", "12"], 4: ["A3", "Lampe", "14.4"]}
    assert [(p.code, p.severity, p.row, p.column, p.value) for p in problems] == [
        (Reason.FORMULA_NOT_CALCULATED, Severity.WARNING, 2, "prix", "=10*2"),
        (Reason.FORMULA_NOT_CALCULATED, Severity.WARNING, 3, "titre", '=CONCAT("Table", " & co")'),
    ]


def test_formulas_of_a_workbook_recalculated_on_opening_are_not_trusted(tmp_path: Path) -> None:
    """xlsxwriter (and the exports built on it) stores 0 as every formula's value and asks Excel
    to recalculate on opening: a stock `=E2+F2` loaded as 0 where Excel shows 12, exit 0."""
    import xlsxwriter

    path = tmp_path / "export.xlsx"
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("Offres")
    sheet.write_row(0, 0, ["sku", "titre", "stock", "lyon", "paris"])
    sheet.write_row(1, 0, ["A1", "Souris"])
    sheet.write_formula(1, 2, "=D2+E2")
    sheet.write_row(1, 3, [5, 7])
    # a formula that is its own value: an EAN kept with its leading zero, 0 stored for it
    sheet.write_row(2, 0, ["A2", "Clavier", 3])
    sheet.write_formula(2, 3, '="0012345678905"')
    workbook.close()
    _, frame, problems = read(path, frozenset({"sku", "titre", "stock"}))
    assert rows(frame)[2][:3] == ["A1", "Souris", ""]
    assert rows(frame)[3][:4] == ["A2", "Clavier", "3", "0012345678905"]
    assert [(p.code, p.row, p.column, p.value) for p in problems] == [
        (Reason.FORMULA_NOT_CALCULATED, 2, "stock", "=D2+E2")]


def test_a_stray_delimiter_filling_the_header_s_unnamed_last_column_refuses_the_row(
        tmp_path: Path) -> None:
    """A header ending with a delimiter has an unnamed last column: a row with a stray `,` in
    its price (and its own trailing one) filled it, and loaded 12,50 as a price of 12 and a
    stock of 50, exit 0."""
    text = ("sku,titre,prix,stock,\r\nDC-1,Souris,12,50,3,\r\nDC-2,Clavier,24.90,5,\r\n")
    _, frame, problems = read(write(tmp_path, text), frozenset({"sku", "titre", "prix", "stock"}))
    assert rows(frame) == {3: ["DC-2", "Clavier", "24.90", "5", ""]}
    assert [(p.code, p.row) for p in problems] == [(Reason.FIELD_COUNT, 2)]


def test_control_characters_escaped_by_the_workbook_are_read_as_such(tmp_path: Path) -> None:
    """OOXML writes a carriage return as `_x000D_`: a title kept it, a reference `X-1` + CR
    became a second offer `X-1_x000D_`, a header `Prix` + CR + LF + `TTC` was unknown."""
    import xlsxwriter

    path = tmp_path / "cr.xlsx"
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("Offres")
    sheet.write_row(0, 0, ["sku", "titre", "Prix\r\nTTC"])
    sheet.write_row(1, 0, ["X-1\r", "Clavier\r\nsans fil", "12"])
    # typed as is: a screen's resolution, and text that would be a NUL
    sheet.write_row(2, 0, ["ECRAN_1920_x1080_IPS", "Code _x0000_ interne", "13"])
    workbook.close()
    info, frame, _ = read(path, frozenset({"sku", "titre", "prix ttc"}))
    assert info.headers == ["sku", "titre", "Prix\r\nTTC"]
    assert rows(frame) == {2: ["X-1\r", "Clavier\r\nsans fil", "12"],
                           3: ["ECRAN_1920_x1080_IPS", "Code _x0000_ interne", "13"]}


def test_a_formula_whose_text_result_is_empty_is_calculated(tmp_path: Path) -> None:
    """`=IFERROR(VLOOKUP(...),"")` saved by Excel as `t="str"` and `<v></v>`: its value is the
    empty text, and "saved without its value, open and save it" could never be satisfied."""
    path = make_xlsx(tmp_path / "vide.xlsx", {"Offres": [["sku", "titre"], ["A1", '=IFERROR(1/0,"")']]})
    rewrite_entry(path, "xl/worksheets/sheet1.xml",
                  lambda xml: xml.replace(b'<c r="B2">', b'<c r="B2" t="str">'))
    saved_by_excel(path)
    _, frame, problems = read(path, frozenset({"sku", "titre"}))
    assert rows(frame) == {2: ["A1", ""]} and problems == []


@pytest.mark.parametrize("multiline", [False, True], ids=["fast-path", "precise-path"])
def test_a_nul_inside_a_utf16_cell_is_dropped(tmp_path: Path, multiline: bool) -> None:
    """PostgreSQL's text cannot hold a NUL: the whole file failed there (exit 4), while SQLite
    stored it and exported it raw."""
    title = "avec\x00nul" + ("\r\nsuite" if multiline else "")
    text = f'sku\ttitre\tprix\r\nA1\t"{title}"\t10,00\r\n'
    path = tmp_path / "nul16.csv"
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    _, frame, problems = read(path, frozenset({"sku", "titre", "prix"}))
    assert rows(frame) == {2: ["A1", title.replace("\x00", ""), "10,00"]} and problems == []


def test_rows_a_program_wrote_out_of_order_reject_the_file_instead_of_losing_one(
        tmp_path: Path) -> None:
    """openpyxl's read-only reader skips a row whose number goes back: row 3 written after row
    4 was lost without a word."""
    path = make_xlsx(tmp_path / "erp.xlsx", {"Offres": [
        ["sku", "titre", "prix"], ["A1", "Chaise", 10], ["A2", "Table", 12], ["A3", "Lampe", 14]]})

    def swap_rows_3_and_4(xml: bytes) -> bytes:
        third, fourth = (re.search(rb'<row r="%d".*?</row>' % n, xml).group() for n in (3, 4))
        return xml.replace(third, b"\0").replace(fourth, third).replace(b"\0", fourth)

    rewrite_entry(path, "xl/worksheets/sheet1.xml", swap_rows_3_and_4)
    problem = rejected(path)
    assert problem.code is Reason.UNREADABLE
    assert "la ligne 3 est écrite après la ligne 4" in problem.message_fr


def test_without_a_named_sheet_the_one_with_the_most_known_columns_is_read(tmp_path: Path) -> None:
    """A visible sheet of value lists first ("Catégorie", "État": two known names) was taken
    for the table, and the whole file refused for missing columns it had on the next sheet."""
    known = frozenset({"sku", "titre", "catégorie", "prix", "état", "mode de livraison"})
    path = make_xlsx(tmp_path / "o.xlsx", {
        "Listes": [["Catégorie", "État", "Mode de livraison"], ["livres", "neuf", "standard"]],
        "Catalogue": [["sku", "titre", "catégorie", "prix", "état"], ["A1", "Livre", "livres", 5, "neuf"]],
        "Autre": [["sku", "titre", "catégorie", "prix", "état"], ["B1", "Stylo", "livres", 2, "neuf"]],
    })
    info, frame, problems = read(path, known)
    assert (info.sheet, rows(frame)) == ("Catalogue", {2: ["A1", "Livre", "livres", "5", "neuf"]})
    # the other sheet of offers is not read, and the seller is told
    [note] = problems
    assert (note.code, note.severity, note.row) == (Reason.ROWS_NOT_READ, Severity.WARNING, None)
    assert note.message_fr.startswith("Seule la feuille « Catalogue » est lue ; « Autre » a aussi")


def test_the_totals_row_of_an_excel_table_is_no_row(tmp_path: Path) -> None:
    """"Total" and the sum of the stock were read as an offer without sku: rejected, and in
    replace mode it stopped every withdrawal, --force or not."""
    from openpyxl.worksheet.table import Table

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in [["sku", "titre", "quantité"], ["A1", "Livre", 5], ["A2", "Stylo", 5], [None, "Total", 10]]:
        sheet.append(row)
    sheet.add_table(Table(displayName="TabOffres", ref="A1:C4", totalsRowCount=1))
    workbook.save(tmp_path / "t.xlsx")
    info, frame, problems = read(tmp_path / "t.xlsx", frozenset({"sku", "titre", "quantité"}))
    assert (rows(frame), problems) == ({2: ["A1", "Livre", "5"], 3: ["A2", "Stylo", "5"]}, [])
    assert any("ligne Total du tableau Excel" in note for note in info.notes)


def test_a_damaged_excel_table_part_refuses_the_workbook(tmp_path: Path) -> None:
    """A bad CRC in the table's definition failed the run (exit 4) and, in the inbox, held the
    seller's later files behind it every night; a damaged sheet was already refused."""
    from openpyxl.worksheet.table import Table

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in [["sku", "titre"], ["A1", "Livre"], [None, "Total"]]:
        sheet.append(row)
    sheet.add_table(Table(displayName="TabOffres", ref="A1:B3", totalsRowCount=1))
    workbook.save(tmp_path / "t.xlsx")
    source = tmp_path / "t.xlsx"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(tmp_path / "d.xlsx", "w") as new:
        for info in old.infolist():  # stored: the table's bytes appear as they are
            new.writestr(info.filename, old.read(info.filename), zipfile.ZIP_STORED)
    damaged = (tmp_path / "d.xlsx").read_bytes().replace(b'totalsRowCount="1"', b'totalsRowCount="2"')
    (tmp_path / "d.xlsx").write_bytes(damaged)
    assert rejected(tmp_path / "d.xlsx", frozenset({"sku", "titre"})).code is Reason.UNREADABLE


def test_only_the_read_tables_totals_row_is_skipped(tmp_path: Path) -> None:
    """A summary table beside the offers has its totals on a row of offers: that offer was
    dropped without a word (and withdrawn by a replace). A count past the table's rows (a
    hostile part) is no table's: it allocated a set of a billion rows."""
    from openpyxl.worksheet.table import Table

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in [["sku", "titre", None, "Rayon", "Nb"], ["A1", "Livre", None, "livres", 2],
                ["A2", "Stylo", None, "Total", 2], ["A3", "Gomme"]]:
        sheet.append(row)
    sheet.add_table(Table(displayName="Recap", ref="D1:E3", totalsRowCount=1))
    sheet.add_table(Table(displayName="Offres", ref="A1:B4", totalsRowCount=1_000_000_000))
    workbook.save(tmp_path / "t.xlsx")
    _, frame, _ = read(tmp_path / "t.xlsx", frozenset({"sku", "titre"}))
    assert sorted(rows(frame)) == [2, 3, 4]


def test_a_header_only_sheet_beside_its_copy_with_rows_is_refused_for_no_rows(tmp_path: Path) -> None:
    """The note about the other sheet counted as a row read: "loaded", 0 rows, exit 0, and the
    seller's offers on "Offres (2)" left out with a warning only."""
    header = ["sku", "titre", "prix"]
    path = make_xlsx(tmp_path / "o.xlsx", {"Offres": [header],
                                           "Offres (2)": [header, ["A1", "Livre", 10]]})
    problem = rejected(path, frozenset(header), preferred_sheets=("offres",))
    assert problem.code is Reason.NO_ROWS


def test_a_hidden_sheet_named_for_the_feed_is_not_read_instead_of_the_visible_one(tmp_path: Path) -> None:
    """A hidden "Offres" (last season's prices) was read instead of the visible "Offres
    janvier": the old prices went back on sale and, in replace mode, new offers were withdrawn."""
    header = ["sku", "titre", "prix"]
    path = make_xlsx(tmp_path / "o.xlsx", {"Offres": [header, ["A1", "Livre", 10]],
                                           "Offres janvier": [header, ["A1", "Livre", 12]]})
    workbook = openpyxl.load_workbook(path)
    workbook["Offres"].sheet_state = "hidden"
    workbook.active = 1
    workbook.save(path)
    info, frame, problems = read(path, frozenset(header), preferred_sheets=("offres",))
    assert (info.sheet, rows(frame), problems) == ("Offres janvier", {2: ["A1", "Livre", "12"]}, [])


def test_a_named_sheet_is_read_and_another_sheet_of_offers_is_said(tmp_path: Path) -> None:
    header = ["sku", "titre", "prix"]
    path = make_xlsx(tmp_path / "o.xlsx", {"Feuil1": [header, ["B1", "Stylo", 2]],
                                           "Offres": [header, ["A1", "Livre", 10]],
                                           "Listes": [["Notes"], ["rien"]]})
    info, frame, problems = read(path, frozenset(header), preferred_sheets=("offres",))
    assert (info.sheet, rows(frame)) == ("Offres", {2: ["A1", "Livre", "10"]})
    [note] = problems
    assert note.code is Reason.ROWS_NOT_READ
    assert note.message_fr.startswith("Seule la feuille « Offres » est lue ; « Feuil1 » a aussi")
    # the named sheet without a header row is refused for it, whatever the other sheets hold
    empty_named = make_xlsx(tmp_path / "e.xlsx", {"Feuil1": [header, ["B1", "Stylo", 2]],
                                                  "Offres": [["rien ici"]]})
    problem = rejected(empty_named, frozenset(header), preferred_sheets=("offres",))
    assert problem.code is Reason.NO_HEADER and "Offres" in problem.message_fr


def test_without_a_named_sheet_the_first_visible_one_with_a_header_is_read(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "o.xlsx", {
        "Listes": [["sku", "title"], ["HIDDEN", "lists"]],
        "Lisez-moi": [["Remplissez la feuille Mes offres"]],
        "Mes offres": [["sku", "title"], ["A1", "Chaise"]],
    })
    workbook = openpyxl.load_workbook(path)
    workbook["Listes"].sheet_state = "hidden"
    workbook.save(path)
    info, frame, _ = read(path, frozenset({"sku", "title"}))
    assert (info.sheet, rows(frame)) == ("Mes offres", {2: ["A1", "Chaise"]})
    instructions_only = make_xlsx(tmp_path / "i.xlsx", {"Lisez-moi": [["Remplissez"]],
                                                         "Notes": [["rien"]]})
    assert rejected(instructions_only).code is Reason.NO_HEADER


def test_xlsx_rows_past_a_lying_dimension_tag_and_too_many_columns(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "o.xlsx",
        {"Sheet": [["sku", "title", "price"], ["A1", "x", 1], ["A2", "y", 2], ["A3", "z", 3]]},
    )
    rewrite_entry(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1"/>', xml),
    )
    info, frame, _ = read(path, limits=ReadLimits(max_columns=3))
    assert info.headers == ["sku", "title", "price"]
    assert rows(frame) == {2: ["A1", "x", "1"], 3: ["A2", "y", "2"], 4: ["A3", "z", "3"]}
    # a header wider than the limit is refused, as in a CSV: its last columns were dropped
    # without a word (a `condition` in column 201 left a used item "new")
    problem = rejected(path, limits=ReadLimits(max_columns=2))
    # only one column past the limit is read: the message does not claim a count it never made
    assert problem.code is Reason.TOO_LARGE and "en compte plus de 2 (maximum 2)" in problem.message_fr


def test_xlsx_header_only(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "o.xlsx", {"S": [["sku", "title"], [], [None, None]]})
    assert rejected(path).code is Reason.NO_ROWS


@pytest.mark.parametrize("guide", ["Mode d'emploi", "Read me", "Explications", "Légende",
                                   "Comment remplir", "Informations"])
def test_a_sheet_named_as_guidance_comes_after_the_seller_s_table(tmp_path: Path, guide) -> None:
    """"Read me" and "Explications" were read as the seller's table: its example row loaded
    as an offer, the real "Catalogue" sheet ignored without a word."""
    path = make_xlsx(tmp_path / "o.xlsx", {
        guide: [["Exemple"], ["sku", "title"], ["EX-1", "Exemple de titre"]],
        "Catalogue": [["sku", "title"], ["A1", "Chaise"]],
    })
    info, frame, _ = read(path, frozenset({"sku", "title"}))
    assert (info.sheet, rows(frame)) == ("Catalogue", {2: ["A1", "Chaise"]})


def test_cells_merged_over_data_rows_are_said_where_they_start(tmp_path: Path) -> None:
    """Excel shows "informatique" on rows 2 to 4; only C2 holds it. Rows 3 and 4 were only
    "required and empty", with nothing to say why. The title's merge (row 1) is no data."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in (["sku", "title", "category"], ["A1", "x", "informatique"], ["A2", "y", None],
                ["A3", "z", None], ["A4", "w", "livres"]):
        sheet.append(row)
    sheet.merge_cells("C2:C4")
    sheet.merge_cells("A5:B5")  # across columns: the title is read empty right of the sku
    sheet.append(["A6", "v", "livres"])
    sheet.merge_cells("C6:C7")
    path = tmp_path / "merged.xlsx"
    workbook.save(path)
    _, frame, problems = read(path, frozenset({"sku", "title", "category"}))
    assert frame.loc[3, 2] == "" and frame.loc[2, 2] == "informatique"
    merged, across, two_rows = problems
    assert (merged.code, merged.row, merged.column, merged.value, merged.severity) == (
        Reason.MERGED_CELLS, 2, "category", "C2:C4", "warning")
    assert "les lignes 3 à 4 sont lues vides" in merged.message_fr
    assert (across.row, across.column, across.value) == (5, "sku", "A5:B5")
    assert "les colonnes à sa droite sont lues vides" in across.message_fr
    assert "la ligne 7 est lue vide" in two_rows.message_fr  # never "les lignes 7 à 7"


def test_xlsx_without_any_worksheet(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "o.xlsx", {"S": [["sku", "title"], ["A1", "x"]]})
    rewrite_entry(path, "xl/workbook.xml", lambda xml: re.sub(rb"<sheet [^>]*/>", b"", xml))
    problem = rejected(path)
    assert problem.code is Reason.NO_HEADER and "aucune feuille" in problem.message_fr


def test_a_strict_open_xml_workbook_is_named_as_such(tmp_path: Path, capfd) -> None:
    """Excel's "Strict Open XML" save: openpyxl sees no sheet, and the seller was told the
    workbook had none (and openpyxl's warning reached stderr)."""
    path = make_xlsx(tmp_path / "o.xlsx", {"S": [["sku", "title"], ["A1", "x"]]})
    def strict(xml: bytes) -> bytes:
        return xml.replace(b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                           b"http://purl.oclc.org/ooxml/spreadsheetml/main").replace(
            b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
            b"http://purl.oclc.org/ooxml/officeDocument/relationships")

    for entry in ("xl/workbook.xml", "_rels/.rels", "xl/_rels/workbook.xml.rels",
                  "xl/worksheets/sheet1.xml"):
        rewrite_entry(path, entry, strict)
    problem = rejected(path)
    assert problem.code is Reason.UNKNOWN_FORMAT and "Open XML stricte" in problem.message_fr
    assert "UserWarning" not in capfd.readouterr().err


@pytest.mark.parametrize(("content", "named"), [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\nsku;titre\n", "un document PDF"),
    (b"\xef\xbb\xbf<!DOCTYPE html>\n<html><body><table><tr><td>sku</td><td>titre</td></tr>"
     b"</table></body></html>", "une page web (HTML)"),
    (b"  <table border=1><tr><th>sku</th><th>titre</th></tr></table>", "une page web (HTML)"),
    (b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n<Workbook xmlns='
     b'"urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Offres"/></Workbook>',
     "une feuille « XML 2003 » d'Excel"),
])
def test_documents_that_are_no_table_are_named(tmp_path: Path, content: bytes, named: str) -> None:
    """An ERP's "Excel" export that is a web page, Magento's Excel XML, a PDF: each was "no
    header row", while Excel showed the header in row 1."""
    problem = rejected(write(tmp_path, content, name="export.xls"))
    assert problem.code is Reason.UNKNOWN_FORMAT
    assert f"ce fichier est {named}" in problem.message_fr


def test_a_csv_whose_first_cell_looks_like_markup_is_still_a_csv(tmp_path: Path) -> None:
    info, frame, _ = read(write(tmp_path, "sku;title\n<b>A1</b>;<table> basse\n"))
    assert rows(frame) == {2: ["<b>A1</b>", "<table> basse"]}


def test_openpyxl_uses_defusedxml() -> None:
    assert openpyxl.DEFUSEDXML is True


def test_xlsx_entity_bomb_is_refused_without_expanding(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "bomb.xlsx", {"S": [["sku", "title"], ["A1", "x"]]})
    entities = '<!ENTITY l0 "lollollollollollollollollollol">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    )
    doctype = f"<!DOCTYPE worksheet [{entities}]>".encode()
    rewrite_entry(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"?>", b"?>" + doctype, 1).replace(b"A1<", b"&l9;<"),
    )
    started = time.perf_counter()
    assert rejected(path).code is Reason.UNREADABLE
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize("part", ["xl/workbook.xml", "docProps/core.xml", "[Content_Types].xml",
                                  "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml"])
def test_a_document_type_in_any_part_refuses_the_workbook(tmp_path: Path, part: str) -> None:
    """openpyxl parses the parts other than the sheets with lxml, not defusedxml: an entity
    declaration in `workbook.xml` was accepted without a word (not expanded), and the sheets'
    parser let a reference to an external DTD through."""
    path = make_xlsx(tmp_path / "dtd.xlsx", {"S": [["sku", "title"], ["A1", "x"]]})
    doctype = b'<!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd">'
    rewrite_entry(path, part, lambda xml: doctype + xml)  # openpyxl writes no XML declaration
    problem = rejected(path)
    assert problem.code is Reason.UNREADABLE and "DTD" in problem.message_fr
    rewrite_entry(path, part, lambda xml: xml.decode().encode("utf-16"))  # XML allows UTF-16
    refused = rejected(path)  # [Content_Types].xml so written is no workbook's already
    assert "DTD" in refused.message_fr or refused.code is Reason.UNKNOWN_FORMAT


@pytest.mark.parametrize("prolog", [
    b"<?xml version='1.0' encoding='UTF-7'?>",  # hides a DTD in base64
    b"<?xml version='1.0' encoding='UTF-8'?>" + b" " * (64 * 1024),  # pushes it past the look
    b"<?xml version='1.0'?><!-- <x --><!DOCTYPE x [<!ENTITY e 'e'>]>",  # a false root before
    b"<?xml version='1.0'?><?pi <x?><!-- <y" + b" " * (64 * 1024) + b"-->",
    b"<?xml version='1.0' encoding='ISO-2022-JP'?>",  # escapes its decoder drops split a DTD
    # a comment ended, once UTF-16's NULs were dropped, by a character whose bytes are '--'
    "<?xml version='1.0' encoding='UTF-16'?><!--\u2d2d><a--><!DOCTYPE w SYSTEM 'http://x/'>"
    .encode("utf-16"),
])
def test_a_part_that_could_hide_a_document_type_refuses_the_workbook(tmp_path: Path, prolog) -> None:
    path = make_xlsx(tmp_path / "hidden.xlsx", {"S": [["sku", "title"], ["A1", "x"]]})
    utf16 = prolog.startswith(b"\xff\xfe")
    rewrite_entry(path, "xl/workbook.xml",
                  lambda xml: prolog + xml.decode().encode("utf-16-le") if utf16 else prolog + xml)
    assert "DTD" in rejected(path).message_fr


@pytest.mark.parametrize("prolog", [
    b"<?xml version=\"1.0 encoding='utf-8'\" encoding=\"UTF-7\"?>",  # a second, real encoding
    "<?xml version='1.0'?><!DOCTYPE w SYSTEM 'http://x/'>".encode("utf-32"),
])
def test_a_prolog_a_parser_cannot_read_is_judged_on_its_bytes(tmp_path: Path, prolog) -> None:
    path = make_xlsx(tmp_path / "damaged.xlsx", {"S": [["sku", "title"], ["A1", "x"]]})
    rewrite_entry(path, "xl/workbook.xml", lambda xml: prolog + xml)
    assert "DTD" in rejected(path).message_fr


def test_parts_found_the_way_openpyxl_finds_them_are_judged(tmp_path: Path) -> None:
    """openpyxl finds the shared strings in the content types, and reads relationships as XML:
    a part declared there only, or a target escaped (`sheet1&#46;dat`), carried a DTD past a
    look that read the relationships with byte patterns."""
    import xlsxwriter

    path = tmp_path / "strings.xlsx"
    with xlsxwriter.Workbook(path) as workbook:
        workbook.add_worksheet("S").write_row(0, 0, ["sku", "title"])
    rename_entry(path, "xl/sharedStrings.xml", "xl/strings.bin")
    rewrite_entry(path, "xl/_rels/workbook.xml.rels",  # named in the content types only
                  lambda xml: re.sub(rb"<Relationship [^>]*strings\.bin\"/>", b"", xml))
    rewrite_entry(path, "xl/strings.bin", lambda xml: xml.replace(
        b"?>", b'?><!DOCTYPE sst SYSTEM "http://127.0.0.1:9/x.dtd">', 1))
    assert "xl/strings.bin" in rejected(path).message_fr
    escaped = make_xlsx(tmp_path / "escaped.xlsx", {"S": [["sku", "title"], ["A1", "x"]]})
    rename_entry(escaped, "xl/worksheets/sheet1.xml", "xl/worksheets/sheet1.dat")
    rewrite_entry(escaped, "xl/_rels/workbook.xml.rels",
                  lambda xml: xml.replace(b"sheet1.dat", b"sheet1&#46;dat"))
    rewrite_entry(escaped, "xl/worksheets/sheet1.dat",
                  lambda xml: b'<!DOCTYPE worksheet SYSTEM "http://127.0.0.1:9/x.dtd">' + xml)
    assert "sheet1.dat" in rejected(escaped).message_fr


def test_a_large_binary_part_of_the_workbook_is_not_held_to_the_xml_limits(tmp_path: Path) -> None:
    """A Power Pivot data model (17 MB, a relationship of the workbook) was refused as a zip
    bomb by the limit of the XML parts openpyxl reads whole."""
    path = make_xlsx(tmp_path / "model.xlsx", {"S": [["sku", "title"], ["A1", "x"]]})
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/model/item.data", bytes(range(256)) * 4_096, zipfile.ZIP_STORED)
    rewrite_entry(path, "xl/_rels/workbook.xml.rels", lambda xml: xml.replace(
        b"</Relationships>", b'<Relationship Id="rId9" Target="model/item.data" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/powerPivotData"/></Relationships>'))
    check_xlsx(path, max_part_bytes=100_000)


def test_parts_openpyxl_never_reads_are_not_judged(tmp_path: Path) -> None:
    """An SVG logo declaring its DTD, a Mac's `__MACOSX/` copy of a part, an app.xml starting
    with a line break: the workbook was refused, though openpyxl reads none of them."""
    path = make_xlsx(tmp_path / "logo.xlsx", {"S": [["sku", "title"], ["A1", "x"]]})
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/media/image2.svg", '<?xml version="1.0"?><!DOCTYPE svg PUBLIC'
                         ' "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/'
                         'svg11.dtd"><svg/>')
        archive.writestr("xl/drawings/vmlDrawing1.vml", "<xml>" + "<v:shape/>" * 2_000 + "</xml>")
        archive.writestr("__MACOSX/xl/worksheets/._sheet1.xml", b"\x00\x05\x16\x07\x00\x02")
    rewrite_entry(path, "docProps/app.xml", lambda xml: b"\r\n" + xml)
    check_xlsx(path, max_part_bytes=15_000)  # the notes' 20 KB drawing: not parsed, not capped
    assert rows(read(path, frozenset({"sku", "title"}))[1]) == {2: ["A1", "x"]}


def rename_entry(path: Path, old: str, new: str) -> None:
    """Move a part as another tool could name it: openpyxl follows the relationships and the
    content types, whatever the name."""
    source = path.read_bytes()
    with (zipfile.ZipFile(io.BytesIO(source)) as archive,
          zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as renamed):
        for info in archive.infolist():
            data = archive.read(info.filename)
            if info.filename.endswith((".rels", ".xml")):
                data = data.replace(old.encode(), new.encode())
                data = data.replace(old.removeprefix("xl/").encode(), new.removeprefix("xl/").encode())
            renamed.writestr(new if info.filename == old else info.filename, data)


def test_a_part_under_another_name_is_judged_as_a_part(tmp_path: Path) -> None:
    """A sheet renamed `sheet1.dat` carried a DTD past the look, and shared strings renamed
    past their cap: only names ending in .xml were looked at."""
    path = make_xlsx(tmp_path / "renamed.xlsx", {"S": [["sku", "title"], ["A1", "x"]]})
    rename_entry(path, "xl/worksheets/sheet1.xml", "xl/worksheets/sheet1.dat")
    assert rows(read(path, frozenset({"sku", "title"}))[1]) == {2: ["A1", "x"]}  # still a workbook
    rewrite_entry(path, "xl/worksheets/sheet1.dat",  # spaces first hid it from an 8-byte look
                  lambda xml: b" " * 16 + b'<!DOCTYPE worksheet SYSTEM "http://127.0.0.1:9/x.dtd">' + xml)
    assert "DTD" in rejected(path).message_fr
    import xlsxwriter  # shared strings, as Excel writes them (openpyxl writes inline ones)

    texts = tmp_path / "texts.xlsx"
    with xlsxwriter.Workbook(texts) as workbook:
        workbook.add_worksheet("S").write_row(0, 0, ["sku", "title"])
    rename_entry(texts, "xl/sharedStrings.xml", "xl/strings.bin")
    assert "xl/strings.bin" in zipfile.ZipFile(texts).namelist()
    rewrite_entry(texts, "xl/strings.bin",
                  lambda xml: b"\n" * 8 + b"<sst>" + b"<si><t>texte</t></si>" * 1_000 + b"</sst>")
    with pytest.raises(FileRejected) as caught:  # theme1.xml is 7-10 KB, the strings 21 KB
        check_xlsx(texts, max_part_bytes=15_000)
    assert "xl/strings.bin" in caught.value.problem.message_fr


def test_truncated_xlsx_is_unreadable(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "o.xlsx", {"S": [["sku", "title"], *[["A", "x"]] * 500]})
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert rejected(path).code is Reason.UNREADABLE


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "offers.xlsx", "w") as archive:
        archive.writestr("offers.csv", "sku;title\r\nA1;x\r\n")
    assert rejected(tmp_path / "offers.xlsx").code is Reason.UNKNOWN_FORMAT


@pytest.mark.parametrize(("entries", "said"), [
    ({"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"}, "(.ods)"),
    ({"Index/Document.iwa": "xx", "Metadata/Properties.plist": "p"}, "Apple Numbers"),
])
def test_a_libreoffice_or_numbers_file_is_named_with_how_to_save_it(tmp_path: Path, entries, said) -> None:
    with zipfile.ZipFile(tmp_path / "offres.xlsx", "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    problem = rejected(tmp_path / "offres.xlsx")
    assert problem.code is Reason.UNKNOWN_FORMAT and said in problem.message_fr
    assert "(.xlsx) ou CSV" in problem.message_fr


def test_zip_bomb_is_rejected_before_parsing(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "bomb.xlsx", {"S": [["sku", "title"], ["A1", "x"]]})
    zeros = b"\x00" * (1 << 20)
    rewrite_entry(path, "xl/worksheets/sheet1.xml", lambda _: (zeros for _ in range(500)))
    assert path.stat().st_size < 2_000_000  # 500 MB of zeros compress ~1000:1
    problem = rejected(path)
    assert problem.code is Reason.ZIP_BOMB and "sheet1.xml" in problem.message_fr


def test_zip_guard_entry_count_and_total_size(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "o.xlsx", {"S": [["sku", "title"], ["A1", "x"]]})
    check_xlsx(path)  # a normal workbook passes
    with pytest.raises(FileRejected) as caught:
        check_xlsx(path, max_total_bytes=1000)
    assert caught.value.problem.code is Reason.ZIP_BOMB
    with zipfile.ZipFile(path, "a") as archive:
        for i in range(10_001):
            archive.writestr(f"junk/{i}", b"")
    assert rejected(path).code is Reason.ZIP_BOMB


def test_a_part_parsed_whole_is_limited_a_streamed_sheet_is_not(tmp_path: Path) -> None:
    """openpyxl reads styles.xml and the shared strings whole, as Python objects: a 7.7 MB file
    with a million number formats took 2.6 GB and a minute (the zip ratio was only 13)."""
    path = make_xlsx(tmp_path / "o.xlsx", {"S": [["sku", "title"], *[["A1", "x" * 200]] * 200]})
    strings = "<sst>" + "<si><t>texte</t></si>" * 250 + "</sst>"  # 5,261 bytes
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/sharedStrings.xml", strings)
    assert zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml").file_size > 40_000
    with pytest.raises(FileRejected) as caught:  # theme1.xml is 10 KB, styles.xml 2.5 KB
        check_xlsx(path, max_part_bytes=2_000)
    assert caught.value.problem.code is Reason.ZIP_BOMB
    assert "theme1.xml" in caught.value.problem.message_fr
    check_xlsx(path, max_part_bytes=20_000, max_shared_strings_bytes=6_000)  # the sheet: no limit
    with pytest.raises(FileRejected) as caught:
        check_xlsx(path, max_part_bytes=20_000, max_shared_strings_bytes=4_000)
    # a catalogue's many texts: too large, to send as CSV; not "not a normal Excel file"
    assert caught.value.problem.code is Reason.TOO_LARGE
    assert "5 261 octets" in caught.value.problem.message_fr
    assert "CSV" in caught.value.problem.message_fr


def test_million_empty_formatted_rows_finish_fast(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Offres")
    styled = openpyxl.cell.WriteOnlyCell(sheet, value="A2")
    styled.font = openpyxl.styles.Font(bold=True)
    sheet.append(["sku", "title"])
    sheet.append(["A1", "Chaise"])
    sheet.append([styled, "Table"])
    path = tmp_path / "formatted.xlsx"
    workbook.save(path)

    def formatted_rows(xml: bytes):
        # a dimension tag as Excel writes one (without it, openpyxl parses the whole sheet
        # once more when opening it, ~5 s here)
        head, tail = xml.split(b"</sheetData>")
        yield head.replace(b"<sheetData>", b'<dimension ref="A1:B1048576"/><sheetData>')
        for start in range(4, 1_048_577, 50_000):
            stop = min(start + 50_000, 1_048_577)
            yield "".join(
                f'<row r="{r}" s="1" customFormat="1"><c r="A{r}" s="1"/></row>' for r in range(start, stop)
            ).encode()
        yield b"</sheetData>" + tail

    rewrite_entry(path, "xl/worksheets/sheet1.xml", formatted_rows)
    started = time.perf_counter()
    info, frame, problems = read(path)
    assert time.perf_counter() - started < 5
    assert rows(frame) == {2: ["A1", "Chaise"], 3: ["A2", "Table"]}
    assert any("10 000 lignes vides" in note for note in info.notes)
    assert problems == []  # nothing further down: nothing lost, no warning


def test_values_below_the_empty_rows_the_reader_stops_at_are_said(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Offres")
    sheet.append(["sku", "title"])
    sheet.append(["A1", "Chaise"])
    path = tmp_path / "far.xlsx"
    workbook.save(path)

    def far_row(xml: bytes):
        head, tail = xml.split(b"</sheetData>")
        blanks = "".join(f'<row r="{r}"><c r="A{r}" s="1"/></row>' for r in range(3, 10_010))
        far = '<row r="20000"><c r="A20000" t="inlineStr"><is><t>A2</t></is></c></row>'
        return head + (blanks + far).encode() + b"</sheetData>" + tail

    rewrite_entry(path, "xl/worksheets/sheet1.xml", far_row)
    _, frame, problems = read(path)
    assert rows(frame) == {2: ["A1", "Chaise"]}
    assert [(p.code, p.severity) for p in problems] == [(Reason.ROWS_NOT_READ, Severity.WARNING)]
    assert "jusqu'à la ligne 20000" in problems[0].message_fr


# --------------------------------------------------------------------------- property

CELL = st.one_of(
    st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=12),
    st.sampled_from(["", " ", "000123", "12,50", '"', '""', ",", ";", "\t", "|", "a\nb", "\r\n"]),
    st.text(alphabet='ab,;\t|"\n\r 0', max_size=8),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    width=st.integers(1, 4),
    data=st.data(),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
    block_bytes=st.sampled_from([64, 1 << 24]),
    trim_trailing=st.booleans(),
)
def test_any_table_written_by_python_csv_reads_back(
    tmp_path_factory: pytest.TempPathFactory,
    width: int,
    data: st.DataObject,
    delimiter: str,
    encoding: str,
    block_bytes: int,
    trim_trailing: bool,
) -> None:
    headers = ["sku", "title", "price", "quantity"][: max(width, 2)]
    table = data.draw(
        st.lists(st.lists(CELL, min_size=len(headers), max_size=len(headers)), min_size=1, max_size=8)
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headers)
    for row in table:  # Excel drops trailing empty cells; the reader pads them back
        while trim_trailing and len(row) > 1 and row[-1] == "":
            row = row[:-1]
        writer.writerow(row)
    path = tmp_path_factory.mktemp("prop") / "t.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    expected = {
        number: row + [""] * (len(headers) - len(row))
        for number, row in enumerate(table, start=2)
        if any(cell.strip() for cell in row)  # rows of blank cells are empty rows
    }
    with mock.patch.object(csv_reader, "_ARROW_BLOCK_BYTES", block_bytes):
        if not expected:
            assert rejected(path, frozenset(headers)).code is Reason.NO_ROWS
            return
        info, frame, problems = read(path, frozenset(headers))
    assert (info.header_row, info.delimiter, problems) == (1, delimiter, [])
    assert rows(frame) == expected


def test_xlsx_values_right_of_the_last_header_are_a_warning(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "o.xlsx", {"Offres": [["sku", "title"], ["A1", "Chaise", "note"],
                                                      ["A2", "Table", "note 2"]]})
    info, frame, problems = read(path, frozenset({"sku", "title"}))
    assert rows(frame) == {2: ["A1", "Chaise"], 3: ["A2", "Table"]}
    assert [(p.code, p.severity, p.row) for p in problems] == [
        (Reason.UNKNOWN_COLUMN, Severity.WARNING, None)]
    assert "ligne 2" in problems[0].message_fr


def test_a_hidden_sheet_is_never_read_the_rejection_says_it_is_hidden(tmp_path: Path) -> None:
    """A visible "Lisez-moi" and the offers on a hidden "Offres": refused for "no header row" on
    the instructions, with nothing about the hidden table. Never read instead (a hidden
    "Offres" is most often last season's prices): the rejection says to unhide it."""
    header = ["sku", "titre", "prix"]
    path = make_xlsx(tmp_path / "o.xlsx", {"Lisez-moi": [["Remplissez la feuille Offres"]],
                                           "Offres": [header, ["A1", "Livre", 10]]})
    workbook = openpyxl.load_workbook(path)
    workbook["Offres"].sheet_state = "hidden"
    workbook.save(path)
    problem = rejected(path, frozenset(header), preferred_sheets=("offres",))
    assert problem.code is Reason.NO_HEADER
    assert "La feuille « Offres » est masquée et n'est pas lue" in problem.message_fr


def test_a_visible_table_with_unknown_headers_is_refused_never_a_hidden_sheet_read(
        tmp_path: Path) -> None:
    """A visible sheet of offers under headers the reader does not know, and a hidden old
    price list: the hidden prices went on sale."""
    path = make_xlsx(tmp_path / "o.xlsx", {
        "Feuil1": [["Ref", "Libelle article", "Famille", "Tarif TTC"], ["A1", "Livre", "x", 399]],
        "Offres": [["sku", "titre", "prix"], ["A1", "Livre", 9]]})
    workbook = openpyxl.load_workbook(path)
    workbook["Offres"].sheet_state = "hidden"
    workbook.save(path)
    problem = rejected(path, frozenset({"sku", "titre", "prix"}), preferred_sheets=("offres",))
    assert problem.code is Reason.NO_HEADER and "Feuil1" in problem.message_fr


def test_mac_roman_whose_first_accent_is_far_into_the_file(tmp_path: Path) -> None:
    """Decided on the first 64 KB, all ASCII: read as Windows-1252, "Câble télévision"."""
    lines = ["sku;title", *(f"A{i};chaise" for i in range(8000)), "B1;Câble télévision été"]
    path = tmp_path / "mac.csv"
    path.write_bytes("\r".join(lines).encode("mac_roman"))
    info, frame, _ = read(path)
    assert (info.encoding, frame.loc[8002, 1]) == ("mac-roman", "Câble télévision été")


def test_mac_roman_told_by_its_apostrophes_and_dashes(tmp_path: Path) -> None:
    """One accented letter, but Mac Roman's ’ and – (Windows-1252's Õ and Ð)."""
    text = "sku;title\rA1;Men’s watch – noir\rA2;Câble USB-C – 2 m\r"
    path = tmp_path / "mac.csv"
    path.write_bytes(text.encode("mac_roman"))
    info, frame, _ = read(path)
    assert (info.encoding, frame.loc[2, 1]) == ("mac-roman", "Men’s watch – noir")


@pytest.mark.parametrize("late", [
    "Škoda Octavia, filtre",  # Š starting a word: Mac Roman's ä starts no French word
    "RÉSIDENCE L'HAŸ-LES-ROSES",  # capitals: Ÿ is Mac Roman's ü, but É and Â are not its
])
def test_windows_1252_with_its_signs_and_a_late_letter_mac_roman_also_has(tmp_path: Path, late) -> None:
    """Scanned past 64 KB, two late "Škoda" outweighed a file of ’ – € and no lower-case
    accent: every title became "Menís HDMI cable ñ 2 m, 12 Ä"."""
    lines = ["sku;title", *(f"A{i};Men’s HDMI cable – 2 m, 12 €" for i in range(2500)),
             f"B1;{late}", f"B2;{late}"]
    path = tmp_path / "w.csv"
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    info, frame, _ = read(path)
    assert (info.encoding, frame.loc[2, 1], frame.loc[2503, 1]) == (
        "cp1252", "Men’s HDMI cable – 2 m, 12 €", late)
    alone = tmp_path / "alone.csv"
    alone.write_bytes(f"sku;title\r\nB1;{late}\r\nB2;{late}\r\n".encode("cp1252"))
    assert read(alone)[0].encoding == "cp1252"


@pytest.mark.parametrize("title", [
    "“Le Petit Prince” – édition poche", "NOUVEAU… Câble télévision", "CÂBLE TÉLÉVISION ÉCRAN",
    "Cœur de pirate, Sœur Anne", "Les Trois Mousquetaires d’ALEXANDRE DUMAS",
    "“LE PETIT PRINCE” poche", "RÉSIDENCE DES ÉCOLES, ÉTÉ",
])
@pytest.mark.parametrize("codec, label", [("mac_roman", "mac-roman"), ("cp1252", "cp1252")])
def test_french_typography_and_capitals_tell_mac_roman_from_windows_1252(
        tmp_path: Path, title, codec, label) -> None:
    """Each shape both ways: Mac Roman's “ ” … œ ’ and capitals are Windows-1252's Ò Ó É Ï Õ and
    ƒ ‚, and the other way round; misread, a title loads garbled without a word."""
    path = tmp_path / "t.csv"
    path.write_bytes("\r".join(["sku;titre", *(f"A{i};{title}" for i in range(50))]).encode(codec))
    info, frame, _ = read(path)
    assert (info.encoding, frame.loc[2, 1]) == (label, title)


@pytest.mark.parametrize("ending", ["\r\n\x1a", "\x1a", "\r\n\x1a\x1a"])
@pytest.mark.parametrize("title", ["Un", '"Un\r\nlivre"'])  # a line break: the precise path
def test_a_dos_end_of_file_mark_is_no_row(tmp_path: Path, ending: str, title: str) -> None:
    """Old ERP exports end with Ctrl-Z: it made a phantom row of empty cells, or stuck to the
    last stock ("« 5 » n'est pas un nombre entier", the mark invisible in the quote)."""
    body = f"sku;title;price;quantity\r\nA-1;{title};12,90;4\r\nA-2;Deux;9,90;5" + ending
    _, frame, problems = read(write(tmp_path, body, "cp1252"))
    assert rows(frame) == {2: ["A-1", title.strip('"'), "12,90", "4"], 3: ["A-2", "Deux", "9,90", "5"]}
    assert problems == []


@pytest.mark.parametrize("declared", ["ISO-8859-15", "cp1252", "latin1", "windows-1252"])
def test_a_part_declared_in_an_ascii_compatible_encoding_is_read(tmp_path: Path, declared) -> None:
    path = make_xlsx(tmp_path / "latin.xlsx", {"S": [["sku", "title"], ["A1", "x"]]})
    rewrite_entry(path, "docProps/core.xml",
                  lambda xml: f"<?xml version='1.0' encoding='{declared}'?>".encode() + xml)
    _, frame, _ = read(path, frozenset({"sku", "title"}))
    assert rows(frame) == {2: ["A1", "x"]}


def test_a_document_type_written_after_the_root_is_text(tmp_path: Path) -> None:
    """`<!DOCTYPE html>` in a cell (an HTML description in CDATA) or a comment after the root
    refused a valid workbook."""
    path = make_xlsx(tmp_path / "html.xlsx", {"S": [["sku", "title"], ["A1", "x"]]})
    rewrite_entry(path, "docProps/core.xml",
                  lambda xml: xml.replace(b"</cp:coreProperties>",
                                          b"<!-- <!DOCTYPE html> --></cp:coreProperties>"))
    _, frame, _ = read(path, frozenset({"sku", "title"}))
    assert rows(frame) == {2: ["A1", "x"]}
