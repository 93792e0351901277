"""The seller's error report: what they read in Excel, what machines read, what they resend."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError

import reports.import_report as import_report
from loaders.table import ReadInfo
from marketplace.errors import Problem, Reason, Severity
from reports.import_report import ReportFiles, ReportInput, write_import_report
from reports.report_workbook import ROWS_SHEET, SUMMARY_SHEET
from reports.safe_cells import SpreadsheetCsvWriter, clean_for_xlsx, inert_text

HEADERS = ["sku", "ean", "prix", "description"]
FORMULA = '=HYPERLINK("http://x","y")'
SELLER_ROWS = {
    # Excel row number the seller sees -> values by header position
    2: ["000123", "3017620422003", "12,50", "Crème brûlée"],
    3: ["A-2", "000042", "-3,00", FORMULA],
    4: ["A-3", "+33 6 12", "5,00", "@SUM(A1)"],
    5: ["A-4", "0001", "7,00", "bad\x00ctrl\x1fchars"],
}
PRICE_FR = "Le prix doit être supérieur à 0 : « -3,00 »"
PRICE_EN = "The price must be greater than 0: '-3,00'"
EAN_FR = "Clé de contrôle EAN fausse : « +33 6 12 »"
EAN_EN = "Wrong EAN check digit: '+33 6 12'"
FIELDS_FR = "La ligne a 6 champs au lieu de 4"
FIELDS_EN = "The row has 6 fields instead of 4"
SKU_FR = "SKU inconnu : « A-4 »"
SKU_EN = "Unknown SKU: 'A-4'"
COLUMN_FR = "Colonne inconnue ignorée : « remarque »"
COLUMN_EN = "Unknown column ignored: 'remarque'"
RED = "FFFF8080"
ORANGE = "FFFFC000"


def frame(rows: dict[int, list[str]]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index", dtype=str)


def problems() -> list[Problem]:
    return [
        Problem(Reason.BAD_CHECK_DIGIT, EAN_FR, EAN_EN, row=4, column="ean", value="+33 6 12"),
        Problem(Reason.OUT_OF_RANGE, PRICE_FR, PRICE_EN, row=3, column="prix", value="-3,00"),
        Problem(Reason.FIELD_COUNT, FIELDS_FR, FIELDS_EN, row=7),
        Problem(
            Reason.UNKNOWN_SKU, SKU_FR, SKU_EN, row=5, column="sku", value="A-4",
            severity=Severity.WARNING,
        ),
        Problem(
            Reason.UNKNOWN_COLUMN, COLUMN_FR, COLUMN_EN, column="remarque",
            severity=Severity.WARNING,
        ),
    ]


def csv_info(**changes: object) -> ReadInfo:
    fields = {"format": "csv", "headers": HEADERS, "header_row": 1, "encoding": "cp1252",
              "delimiter": ";", "rows_read": 5}
    return ReadInfo(**{**fields, **changes})


def report_input(**changes: object) -> ReportInput:
    fields = {
        "file_name": "offres-mars.csv", "kind": "offers", "seller_id": 42, "import_id": 7,
        "status": "partial", "rows_read": 5, "rows_loaded": 2, "rows_rejected": 3,
        "warnings": 2, "info": csv_info(), "decimal_separator": ",", "headers": HEADERS,
        "rows": frame(SELLER_ROWS), "all_rows": True, "problems": problems(),
        "notes": ["le mode remplacement désactiverait 734 offres sur 1 000"],
    }
    return ReportInput(**{**fields, **changes})


@pytest.fixture
def written(tmp_path: Path) -> ReportFiles:
    return write_import_report(tmp_path, "import-7", report_input())


def summary(files: ReportFiles) -> dict[str, object]:
    sheet = openpyxl.load_workbook(files.xlsx)[SUMMARY_SHEET]
    return {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}


def rows_sheet(files: ReportFiles):
    return openpyxl.load_workbook(files.xlsx)[ROWS_SHEET]


def sheet_row(sheet, excel_row: int) -> int:
    """The rows sheet's line showing the seller's row `excel_row`."""
    numbers = [cell.value for cell in sheet["B"]]
    return numbers.index(excel_row) + 1


# --- files ------------------------------------------------------------------------------


def test_writes_the_three_files_and_no_temporary_one(written: ReportFiles, tmp_path: Path):
    assert written.xlsx == tmp_path / "import-7-errors.xlsx"
    assert written.csv == tmp_path / "import-7-errors.csv"
    assert written.rejected == tmp_path / "import-7-rejected.csv"
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "import-7-errors.csv", "import-7-errors.xlsx", "import-7-rejected.csv",
    ]


def test_a_failing_writer_publishes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def broken(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(import_report, "write_rejected_csv", broken)
    with pytest.raises(OSError, match="disk full"):
        write_import_report(tmp_path, "import-7", report_input())
    assert list(tmp_path.iterdir()) == []


def test_a_rerun_without_rejected_rows_removes_the_old_rejected_file(tmp_path: Path):
    write_import_report(tmp_path, "import-7", report_input())
    warnings_only = [p for p in problems() if p.severity == Severity.WARNING]
    files = write_import_report(tmp_path, "import-7", report_input(problems=warnings_only))
    assert files.rejected is None
    assert not (tmp_path / "import-7-rejected.csv").exists()


# --- summary sheet ----------------------------------------------------------------------


def test_a_partial_import_of_which_nothing_loaded_says_so(tmp_path: Path):
    """"partially loaded" beside "rows loaded: 0": the seller thought some offers were online."""
    files = write_import_report(tmp_path, "import-7", report_input(rows_loaded=0, rows_rejected=5))
    assert summary(files)["Statut / Status"] == ("aucune ligne chargée : toutes refusées /"
                                                " no row loaded: every row rejected")


def test_summary_gives_counts_status_and_what_was_detected(written: ReportFiles):
    values = summary(written)
    assert values["Fichier / File"] == "offres-mars.csv"
    assert values["Type / Kind"] == "offres / offers"
    assert values["Import n° / Import id"] == 7
    assert values["Vendeur / Seller"] == 42
    assert values["Statut / Status"] == "chargé en partie / partially loaded"
    assert values["Lignes lues / Rows read"] == 5
    assert values["Lignes chargées / Rows loaded"] == 2
    assert values["Lignes rejetées / Rows rejected"] == 3
    assert values["Avertissements / Warnings"] == 2
    assert values["Lignes affichées / Rows shown"].startswith("toutes les lignes")
    assert values["Format"] == "CSV"
    assert values["Encodage / Encoding"] == "Windows-1252 (cp1252)"
    assert values["Séparateur / Delimiter"] == "point-virgule (;) / semicolon"
    assert values["Séparateur décimal / Decimal separator"] == "virgule (,) / comma"
    assert values["Ligne d'en-tête / Header row"] == 1


def test_summary_of_a_check_only_run_says_nothing_was_loaded(tmp_path: Path):
    # `marketplace validate` has no import: the seller must not read "import 0, partially
    # loaded, 2 rows loaded" about a file that was only checked
    files = write_import_report(tmp_path, "v", report_input(import_id=None))
    values = summary(files)
    assert values["Import n° / Import id"].startswith("aucun : vérification seule")
    assert values["Statut / Status"] == (
        "à corriger : des lignes seraient rejetées / to fix: rows would be rejected")
    assert values["Lignes valides (non chargées) / Valid rows (not loaded)"] == 2
    assert "Lignes chargées / Rows loaded" not in values
    clean = write_import_report(tmp_path, "ok", report_input(import_id=None, status="loaded"))
    assert summary(clean)["Statut / Status"] == "valide / valid"


def test_summary_lists_file_problems_top_errors_and_notes(written: ReportFiles):
    sheet = openpyxl.load_workbook(written.xlsx)[SUMMARY_SHEET]
    lines = [row for row in sheet.iter_rows(values_only=True) if any(row)]
    assert ("avertissement / warning", COLUMN_FR, COLUMN_EN, "unknown_column") in lines
    assert ("out_of_range", "prix", PRICE_FR, 1) in lines
    assert ("field_count", "", FIELDS_FR, 1) in lines
    assert any("734 offres" in str(line[0]) for line in lines)
    # row 7 could not be split into cells: it cannot be in the file to resend, say so
    assert any("absentes du fichier à renvoyer" in str(line[0]) and "7" in line[0]
               for line in lines)


def test_top_errors_are_counted_by_code(tmp_path: Path):
    many = [
        Problem(Reason.REQUIRED, f"Valeur manquante ligne {row}", "Missing", row=row,
                column="sku")
        for row in (2, 3, 4)
    ]
    files = write_import_report(tmp_path, "s", report_input(problems=many + problems()))
    sheet = openpyxl.load_workbook(files.xlsx)[SUMMARY_SHEET]
    lines = list(sheet.iter_rows(values_only=True))
    start = [line[0] for line in lines].index("code")
    assert lines[start + 1][:2] == ("required", "sku")
    assert lines[start + 1][3] == 3


def test_top_errors_tell_two_columns_with_the_same_code_apart(tmp_path: Path):
    late = Problem(Reason.OUT_OF_RANGE, "Délai trop long", "Too long", row=6, column="délai")
    files = write_import_report(tmp_path, "s", report_input(problems=[late, *problems()]))
    lines = list(openpyxl.load_workbook(files.xlsx)[SUMMARY_SHEET].iter_rows(values_only=True))
    assert ("out_of_range", "prix", PRICE_FR, 1) in lines
    assert ("out_of_range", "délai", "Délai trop long", 1) in lines


def test_top_errors_tell_two_faults_of_one_column_apart_but_not_two_values(tmp_path: Path):
    """A discount past 90 % and one leaving no price to pay were one line, with one example."""
    found = [Problem(Reason.OUT_OF_RANGE, f"La remise doit être de 1 à 90 % : « {value} »", "x",
                     row=row, column="remise %", value=value)
             for row, value in ((2, "91"), (3, "95"))]
    found.append(Problem(Reason.OUT_OF_RANGE, "Le prix promo (0,01 €) doit être inférieur au prix"
                         " de l'offre (0,01 €).", "x", row=4, column="remise %", value="50"))
    found += [Problem(Reason.OVERLAP, f"L'offre « {sku} » a déjà une promotion (type 6)", "x",
                      row=row, column="début", value="01/12/2026") for row, sku in ((5, "A"), (6, "B"))]
    found += [Problem(Reason.NOT_ALLOWED, f"État inconnu « {value} » : neuf, très bon état...", "x",
                      row=row, column="état", value=value) for row, value in ((7, "x"), (8, "très bon"))]
    files = write_import_report(tmp_path, "s", report_input(problems=found))
    lines = list(openpyxl.load_workbook(files.xlsx)[SUMMARY_SHEET].iter_rows(values_only=True))
    assert ("out_of_range", "remise %", "La remise doit être de 1 à 90 % : « 91 »", 2) in lines
    assert ("out_of_range", "remise %", found[2].message_fr, 1) in lines
    # what a message quotes is no other fault: one line each, not one per sku or value
    assert ("overlap", "début", found[3].message_fr, 2) in lines
    assert ("not_allowed", "état", found[5].message_fr, 2) in lines


def test_large_file_summary_says_only_flagged_rows_are_shown(tmp_path: Path):
    files = write_import_report(tmp_path, "s", report_input(all_rows=False))
    assert "seulement les lignes signalées" in summary(files)["Lignes affichées / Rows shown"]


def test_unreadable_file_still_gets_a_report(tmp_path: Path):
    unreadable = Problem(Reason.UNREADABLE, "Fichier illisible", "Unreadable file")
    report = report_input(
        info=None, headers=[], rows=pd.DataFrame(), problems=[unreadable], status="rejected",
        rows_read=0, rows_loaded=0, rows_rejected=0, warnings=0, decimal_separator=None,
    )
    files = write_import_report(tmp_path, "s", report)
    assert files.rejected is None
    assert "the file could not be read" in summary(files)["Lecture / Reading"]
    assert summary(files)["Lignes affichées / Rows shown"].startswith("aucune : le fichier est refusé")
    sheet = rows_sheet(files)
    assert [cell.value for cell in sheet[1]] == ["erreurs / errors", "ligne / row"]
    assert sheet.max_row == 1


# --- rows sheet -------------------------------------------------------------------------


def test_rows_sheet_header_row_numbers_and_errors_column(written: ReportFiles):
    sheet = rows_sheet(written)
    assert [cell.value for cell in sheet[1]] == ["erreurs / errors", "ligne / row", *HEADERS]
    assert [cell.value for cell in sheet["B"]][1:] == [2, 3, 4, 5, 7]
    assert sheet.cell(sheet_row(sheet, 2), 1).value is None
    assert sheet.cell(sheet_row(sheet, 3), 1).value == PRICE_FR
    assert sheet.cell(sheet_row(sheet, 7), 1).value == FIELDS_FR
    assert sheet.cell(sheet_row(sheet, 5), 1).value == f"avertissement : {SKU_FR}"  # loaded


def test_errors_of_a_row_are_joined_in_column_order(tmp_path: Path):
    both = [
        Problem(Reason.TOO_LONG, "Description trop longue", "Too long", row=3,
                column="description"),
        *problems(),
    ]
    sheet = rows_sheet(write_import_report(tmp_path, "s", report_input(problems=both)))
    assert sheet.cell(sheet_row(sheet, 3), 1).value == f"{PRICE_FR}; Description trop longue"


def test_a_rejected_rows_errors_come_before_its_warnings(tmp_path: Path):
    """"avertissement : ..." first made a rejected row disappear when a seller filtered that
    word out to see what to fix."""
    mixed = [
        Problem(Reason.FORMULA_NOT_CALCULATED, "Formule sans valeur", "Formula without value",
                row=3, column="sku", severity=Severity.WARNING),
        *problems(),
    ]
    sheet = rows_sheet(write_import_report(tmp_path, "s", report_input(problems=mixed)))
    assert sheet.cell(sheet_row(sheet, 3), 1).value == (
        f"{PRICE_FR}; avertissement : Formule sans valeur")


def test_row_numbers_are_the_sellers_own(tmp_path: Path):
    # header on row 3 (a title above it), rows 4 and 9 shown (large file: flagged rows only)
    rows = frame({4: ["A", "1", "2,00", "x"], 9: ["B", "2", "0,00", "y"]})
    flagged = [Problem(Reason.OUT_OF_RANGE, "Prix nul", "Zero price", row=9, column="prix")]
    report = report_input(rows=rows, problems=flagged, all_rows=False,
                          info=csv_info(header_row=3))
    files = write_import_report(tmp_path, "s", report)
    sheet = rows_sheet(files)
    assert [cell.value for cell in sheet["B"]][1:] == [4, 9]
    assert sheet.cell(3, 1).value == "Prix nul"
    assert summary(files)["Ligne d'en-tête / Header row"] == 3


def test_offending_cells_have_a_comment_and_a_fill(written: ReportFiles):
    sheet = rows_sheet(written)
    price = sheet.cell(sheet_row(sheet, 3), 5)
    assert price.value == "'-3,00"  # reliability.md: a leading "-" gets the apostrophe
    assert PRICE_FR in price.comment.text and PRICE_EN in price.comment.text
    assert price.fill.fgColor.rgb == RED
    warned = sheet.cell(sheet_row(sheet, 5), 3)
    assert SKU_FR in warned.comment.text and SKU_EN in warned.comment.text
    assert warned.fill.fgColor.rgb == ORANGE
    clean = sheet.cell(sheet_row(sheet, 2), 3)
    assert clean.comment is None
    assert clean.fill.fill_type is None


def test_rejected_rows_are_easy_to_filter(written: ReportFiles):
    sheet = rows_sheet(written)
    assert sheet.auto_filter.ref == "A1:F6"
    assert sheet.freeze_panes == "A2"
    first_column = {row: sheet.cell(sheet_row(sheet, row), 1).fill for row in (2, 3, 4, 5, 7)}
    assert {row for row, fill in first_column.items() if fill.fgColor.rgb == RED} == {3, 4, 7}
    assert first_column[5].fill_type is None


def test_values_are_text_cells_made_inert(written: ReportFiles):
    """Text cells of the Text format, with the apostrophe before a formula's first character
    (reliability.md): never run when the file opens, nor when someone edits the cell."""
    sheet = rows_sheet(written)
    formula = sheet.cell(sheet_row(sheet, 3), 6)
    phone = sheet.cell(sheet_row(sheet, 4), 4)
    at_sign = sheet.cell(sheet_row(sheet, 4), 6)
    for cell, original in ((formula, FORMULA), (at_sign, "@SUM(A1)"), (phone, "+33 6 12")):
        assert (cell.data_type, cell.number_format, cell.value) == ("s", "@", "'" + original)


def test_leading_zeros_are_kept(written: ReportFiles):
    sheet = rows_sheet(written)
    assert sheet.cell(sheet_row(sheet, 2), 3).value == "000123"
    assert sheet.cell(sheet_row(sheet, 3), 4).value == "000042"
    assert sheet.cell(sheet_row(sheet, 2), 3).data_type == "s"


def test_control_characters_are_removed_not_fatal(written: ReportFiles):
    sheet = rows_sheet(written)
    assert sheet.cell(sheet_row(sheet, 5), 6).value == "badctrlchars"


# --- CSV twin ---------------------------------------------------------------------------


def test_csv_twin_has_the_exact_header_and_one_sorted_line_per_problem(written: ReportFiles):
    raw = written.csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfrow,column,value,code,message_fr,message_en\r\n")
    with written.csv.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines[1:] == [
        ["", "remarque", "", "unknown_column", COLUMN_FR, COLUMN_EN],
        ["3", "prix", "'-3,00", "out_of_range", PRICE_FR, PRICE_EN],
        ["4", "ean", "'+33 6 12", "bad_check_digit", EAN_FR, EAN_EN],
        ["5", "sku", "A-4", "unknown_sku", SKU_FR, SKU_EN],
        ["7", "", "", "field_count", FIELDS_FR, FIELDS_EN],
    ]


def test_csv_twin_sorts_cells_of_a_row_by_column_position(tmp_path: Path):
    row_problems = [
        Problem(Reason.TOO_LONG, "trop long", "too long", row=3, column="description"),
        Problem(Reason.REQUIRED, "requis", "required", row=3, column="sku"),
        Problem(Reason.FIELD_COUNT, "champs", "fields", row=2),
    ]
    files = write_import_report(tmp_path, "s", report_input(problems=row_problems))
    with files.csv.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))[1:]
    assert [(line[0], line[1]) for line in lines] == [("2", ""), ("3", "sku"),
                                                       ("3", "description")]


# --- rejected rows, ready to resend ------------------------------------------------------


def test_rejected_csv_keeps_the_sellers_encoding_and_delimiter(written: ReportFiles):
    raw = written.rejected.read_bytes()
    assert raw.startswith(b"sku;ean;prix;description\r\n")
    again = pd.read_csv(written.rejected, sep=";", encoding="cp1252", dtype=str,
                        keep_default_na=False)
    assert list(again.columns) == HEADERS
    # rows 3 and 4 have errors; row 5 only a warning; row 7 has no values to resend
    assert again.values.tolist() == [
        ["A-2", "000042", "'-3,00", "'" + FORMULA],
        ["A-3", "'+33 6 12", "5,00", "'@SUM(A1)"],
    ]


def test_rejected_csv_round_trips_the_sellers_values(tmp_path: Path):
    """The apostrophes are ours: the readers take them off when the fixed file comes back."""
    from schemas.parsing import without_report_apostrophe

    rows = frame({2: ["000123", "-3,00", "\x01- Livret inclus", " =5"]})
    price = Problem(Reason.OUT_OF_RANGE, PRICE_FR, PRICE_EN, row=2, column="prix")
    files = write_import_report(tmp_path, "s", report_input(rows=rows, problems=[price]))
    again = pd.read_csv(files.rejected, sep=";", encoding="cp1252", dtype=str,
                        keep_default_na=False)
    assert again.values.tolist() == [["000123", "'-3,00", "'\x01- Livret inclus", "' =5"]]
    assert without_report_apostrophe(again.iloc[0].astype("str")).tolist() == [
        "000123", "-3,00", "\x01- Livret inclus", "=5"]


def test_rejected_csv_keeps_excels_delimiter_line(tmp_path: Path):
    """A file sent with `sep=,` comes back with it: without it, an Excel whose list separator
    is ";" (French) opened the file to fix with every row in column A."""
    from loaders.reader import open_table

    sent = tmp_path / "sent.csv"
    sent.write_bytes(b"sep=,\r\nsku,ean,prix,description\r\nA,1,abc,x\r\n")
    with open_table(sent, known_headers=frozenset(HEADERS)) as table:
        info = table.info
    assert (info.delimiter, info.delimiter_hint, info.header_row) == (",", True, 1)
    price = Problem(Reason.BAD_NUMBER, PRICE_FR, PRICE_EN, row=2, column="prix")
    files = write_import_report(tmp_path, "hint", report_input(
        rows=frame({2: ["A", "1", "abc", "x"]}), problems=[price],
        info=csv_info(encoding="utf-8", delimiter=",", delimiter_hint=True)))
    assert files.rejected.read_bytes() == b"sep=,\r\nsku,ean,prix,description\r\nA,1,abc,x\r\n"


def test_rejected_csv_in_utf8_with_bom_and_characters_outside_cp1252(tmp_path: Path):
    rows = frame({2: ["A", "1", "0", "✓ 東京"]})
    price = Problem(Reason.OUT_OF_RANGE, PRICE_FR, PRICE_EN, row=2, column="prix")
    bom = report_input(rows=rows, problems=[price], info=csv_info(encoding="utf-8-sig",
                                                                  delimiter=","))
    files = write_import_report(tmp_path, "bom", bom)
    expected = "\ufeffsku,ean,prix,description\r\nA,1,0,✓ 東京\r\n"
    assert files.rejected.read_bytes() == expected.encode()
    cp1252 = write_import_report(tmp_path, "cp", report_input(rows=rows, problems=[price]))
    assert cp1252.rejected.read_bytes().endswith(b"A;1;0;? ??\r\n")


def test_rejected_xlsx_keeps_text_cells_made_inert(tmp_path: Path):
    info = ReadInfo(format="xlsx", headers=HEADERS, header_row=1, sheet="Offres", rows_read=4)
    files = write_import_report(tmp_path, "x", report_input(info=info))
    assert files.rejected == tmp_path / "x-rejected.xlsx"
    assert not (tmp_path / "x-rejected.csv").exists()
    sheet = openpyxl.load_workbook(files.rejected)["Offres"]
    lines = list(sheet.iter_rows(values_only=True))
    assert lines == [
        tuple(HEADERS),
        ("A-2", "000042", "'-3,00", "'" + FORMULA),
        ("A-3", "'+33 6 12", "5,00", "'@SUM(A1)"),
    ]
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type == "s"
            assert cell.number_format == "@"


def test_rerun_in_another_format_replaces_the_rejected_file(tmp_path: Path):
    write_import_report(tmp_path, "s", report_input())
    info = ReadInfo(format="xlsx", headers=HEADERS, header_row=1, sheet="Feuil1")
    files = write_import_report(tmp_path, "s", report_input(info=info))
    assert files.rejected == tmp_path / "s-rejected.xlsx"
    assert not (tmp_path / "s-rejected.csv").exists()


# --- safe cells -------------------------------------------------------------------------


@given(st.text())
def test_inert_text_never_starts_with_a_formula_trigger(text: str):
    assert not inert_text(text).startswith(("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"))
    assert inert_text("＝HYPERLINK(\"http://x\")") == "'＝HYPERLINK(\"http://x\")"


@given(st.text())
def test_clean_for_xlsx_gives_text_openpyxl_accepts(text: str):
    cell = openpyxl.Workbook().active["A1"]
    try:
        cell.value = clean_for_xlsx(text)
    except IllegalCharacterError:  # pragma: no cover - the assertion below explains
        pytest.fail(f"openpyxl refused {clean_for_xlsx(text)!r}")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-3,00", "'-3,00"),  # reliability.md: every leading "-", plain numbers included
        ("+33 6 12 34 56 78", "'+33 6 12 34 56 78"),
        (FORMULA, "'" + FORMULA),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("\t5", "'\t5"),
        ("000123", "000123"),
        ("Câble -3", "Câble -3"),
        ("﹦1+2", "'﹦1+2"),  # the small forms, as the full-width ones
        ("﹣1+2", "'﹣1+2"),
        # behind what a trimming import drops or nobody sees: written bare before
        (" =1+1", "' =1+1"), ("\u00a0=1+1", "'\u00a0=1+1"), ("\u3000@SUM(1)", "'\u3000@SUM(1)"),
        ("\x01=1+1", "'\x01=1+1"), ("\ufeff-2+3", "'\ufeff-2+3"), ("\n=1+1", "'\n=1+1"),
        (" 12", " 12"), (" Câble", " Câble"),
    ],
)
def test_inert_text(value: str, expected: str):
    assert inert_text(value) == expected


def test_a_value_holding_a_bare_cr_stays_one_row_in_a_file_of_newline_lines():
    out = io.StringIO()
    SpreadsheetCsvWriter(out, lineterminator="\n").writerows([["A1", "Titre\rsuite", 3], ["A2", "b", 4]])
    assert list(csv.reader(io.StringIO(out.getvalue(), newline=""))) == [
        ["A1", "Titre\rsuite", "3"], ["A2", "b", "4"]]


def test_the_apostrophe_after_a_semicolon_is_taken_off_when_the_file_comes_back():
    """A fixed rejected-rows file loaded `Promo; '-20 %` into the title buyers see."""
    from schemas.parsing import without_inner_report_apostrophes

    written = pd.Series(["Promo; '-20 %", "desc;'@x", "l'été; 'ok", "Titre;'=1+2;fin",
                         "Titre;\u3000'=1+1", "Titre;\u200b'@SUM(1)"], dtype="str")
    assert without_inner_report_apostrophes(written).tolist() == [
        "Promo; -20 %", "desc;@x", "l'été; 'ok", "Titre;=1+2;fin", "Titre;\u3000=1+1",
        "Titre;\u200b@SUM(1)"]


@pytest.mark.parametrize(("delimiter", "row", "line"), [
    # Excel set up for France splits a comma file on ";": =1+2 was a cell of its own, and ran
    (",", ["501", "Titre;=1+2;fin", "-47.99"], "501,Titre;'=1+2;fin,-47.99"),
    (",", ["x; -2+3+cmd|' /C calc'!A0", "a;b"], "x; '-2+3+cmd|' /C calc'!A0,a;b"),
    (",", ["Titre;=1,2", ""], '"Titre;\'=1,2",'),
    # behind a blank a spreadsheet drops, or in a tab or pipe file Excel also splits on ";"
    (",", ["Titre;\u3000=1+1;fin"], "Titre;\u3000'=1+1;fin"),
    (",", ["Titre;\u200b@SUM(1)"], "Titre;\u200b'@SUM(1)"),
    ("\t", ['Titre;=HYPERLINK("x")', "1"], '"Titre;\'=HYPERLINK(""x"")"\t1'),
    ("|", ["a;-1"], "a;'-1"),
    # a ";" file as the seller wrote it; a row of one empty field stays a row
    (";", ["Promo, -20 %", "4,00", 'dit "oui"'], 'Promo, -20 %;4,00;"dit ""oui"""'),
    (";", [""], '""'),
])
def test_csv_fields_where_a_formula_would_start_after_a_semicolon_get_the_apostrophe(
        delimiter, row, line):
    out = io.StringIO()
    SpreadsheetCsvWriter(out, delimiter=delimiter, lineterminator="\n").writerow(row)
    assert out.getvalue() == line + "\n"
    for cell in out.getvalue().rstrip("\n").split(";"):  # as Excel set up for France reads it
        assert not cell.lstrip(' "\u3000\u200b').startswith(("=", "+", "-", "@")) or delimiter == ";"


def test_the_file_to_resend_keeps_a_text_export_extension(tmp_path: Path):
    files = write_import_report(tmp_path, "s", report_input(file_name="Export Unicode.TXT"))
    assert files.rejected.name == "s-rejected.txt"
    files = write_import_report(tmp_path, "s", report_input(file_name="offres.dat"))
    assert files.rejected.name == "s-rejected.csv"
    assert not (tmp_path / "s-rejected.txt").exists()  # the earlier one, stale, is gone


def test_a_row_with_too_many_fields_comes_back_as_sent(tmp_path: Path):
    too_many = Problem(Reason.FIELD_COUNT, FIELDS_FR, FIELDS_EN, row=8,
                       value="B-8;3017620422003;4,00;Bol;;x")
    files = write_import_report(tmp_path, "s", report_input(problems=[*problems(), too_many]))
    lines = files.rejected.read_text(encoding="cp1252").splitlines()
    assert lines[0] == "sku;ean;prix;description"  # not widened by the long row
    assert "B-8;3017620422003;4,00;Bol;;x" in lines
    sheet = rows_sheet(files)
    assert "B-8" in [cell.value for row in sheet.iter_rows() for cell in row]
