"""The Factur-X PDF of an invoice: a readable A4 page (fpdf2, PDF/A-3B) with its XML embedded.

Why these choices:
- PDF/A-3 needs every font embedded, so the page uses DejaVu Sans rather than the PDF core
  fonts, which also lack "€" and "—". Parsing and subsetting the whole 700 kB font took about
  90 ms per invoice, so the project ships its cut to the Latin glyphs an invoice can use
  (data/fonts, 53 kB, with its licence): about 25 ms a page instead of 130, and no system font
  package to install.
- factur-x's `generate_from_binary` embeds the XML, writes the PDF/A-3 XMP metadata and checks
  the XML against the EN 16931 XSD (check on: an invalid invoice is never written).
- The same stored invoice gives the same bytes: the creation date is the issue date, and the
  timestamps factur-x takes from the clock (XMP and the attachment's dates, all fixed-width)
  are replaced by the issue date's; pypdf derives the file identifier from the content.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, time
from functools import lru_cache

from facturx import generate_from_binary
from fpdf import FPDF

from marketplace.config import PROJECT_ROOT
from marketplace.identity import MarketplaceIdentity
from reports.invoice_documents import (
    DUE_DATE_LABEL,
    LATE_PENALTY,
    NO_DISCOUNT,
    OPERATION_CATEGORY,
    RECOVERY_INDEMNITY,
    SETTLEMENT,
    document_title,
    euros,
    french_date,
    invoice_lines,
    issuer_legal_line,
    month_label,
    period_bounds,
    spaced_siren,
    vat_note,
)
from reports.invoice_model import IssuedInvoice
from reports.invoice_xml import invoice_xml
from reports.safe_cells import clean_for_xlsx

# Basic Latin, Latin-1 and Extended-A (EU sellers' names), typographic punctuation and €.
FONT_FILE = str(PROJECT_ROOT / "data" / "fonts" / "DejaVuSans-Latin.ttf")
FONT = "DejaVu"  # one face: a second (bold) one cost 12 ms an invoice
_CLOCK_PDF = re.compile(rb"D:\d{14}\+00'00'")
_CLOCK_PDF_ESCAPED = re.compile(rb"D\\072\d{14}\\05300\\04700\\047")  # pypdf's octal form
_CLOCK_XMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")
_FILE_ID = re.compile(rb"/ID \[ <[0-9a-f]{32}> <[0-9a-f]{32}> \]")


def facturx_pdf(invoice: IssuedInvoice, identity: MarketplaceIdentity) -> bytes:
    """The invoice's Factur-X PDF (EN 16931 profile), byte-identical for the same inputs."""
    moment = datetime.combine(invoice.issue_date, time(0), tzinfo=UTC)
    pdf = generate_from_binary(
        invoice_page(invoice, identity, moment), invoice_xml(invoice, identity),
        flavor="factur-x", level="en16931", check_xsd=True, lang="fr-FR", xmp_compression=False,
        pdf_metadata={"author": identity.name, "keywords": "Factur-X, facture",
                      "title": f"{document_title(invoice)} {invoice.number}",
                      "subject": f"{document_title(invoice)} {invoice.number} — {identity.name}"},
    )
    return _content_file_id(_fix_clock(pdf, moment))


def _fix_clock(pdf: bytes, moment: datetime) -> bytes:
    """Replace factur-x's clock timestamps by `moment` (same widths: offsets stay valid)."""
    stamp = moment.strftime("%Y%m%d%H%M%S")
    escaped = rb"D\072" + stamp.encode() + rb"\05300\04700\047"
    pdf = _CLOCK_PDF.sub(f"D:{stamp}+00'00'".encode(), pdf)
    pdf = _CLOCK_PDF_ESCAPED.sub(lambda _: escaped, pdf)  # a function: no template escapes
    return _CLOCK_XMP.sub(moment.strftime("%Y-%m-%dT%H:%M:%S+00:00").encode(), pdf)


def _content_file_id(pdf: bytes) -> bytes:
    """pypdf draws the trailer's file identifier at random; derive it from the content instead
    (the PDF spec only asks that it identify the file; same width, so offsets stay valid)."""
    blank = b"/ID [ <" + b"0" * 32 + b"> <" + b"0" * 32 + b"> ]"
    unidentified, count = _FILE_ID.subn(blank, pdf)
    if count != 1:
        raise ValueError(f"expected one file identifier in the Factur-X PDF, found {count}")
    digest = hashlib.md5(unidentified, usedforsecurity=False).hexdigest().encode()
    return unidentified.replace(blank, b"/ID [ <" + digest + b"> <" + digest + b"> ]")


def invoice_page(invoice: IssuedInvoice, identity: MarketplaceIdentity, moment: datetime) -> bytes:
    """The human-readable page: every legal mention, the lines, the totals (PDF/A-3B)."""
    pdf = FPDF(enforce_compliance="PDFA_3B")
    pdf.set_creation_date(moment)
    pdf.set_lang("fr-FR")
    pdf.add_font(FONT, "", FONT_FILE)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    _title(pdf, invoice)
    _parties(pdf, invoice, identity)
    _lines(pdf, invoice)
    _mentions(pdf, invoice)
    return bytes(pdf.output())


def _write(pdf: FPDF, text: str, width: float, height: float = 4.6) -> None:
    """Text at the cursor, wrapped to `width`: one `cell` per line (multi_cell's glyph-by-glyph
    layout was a third of a page's time; the fixed mentions are wrapped once per process)."""
    x = pdf.get_x()
    for line in _wrapped(text, width, pdf.font_size_pt):
        pdf.set_x(x)
        pdf.cell(width, height, line, new_x="LEFT", new_y="NEXT")


@lru_cache(maxsize=256)
def _wrapped(text: str, width: float, size: float) -> tuple[str, ...]:
    measure = _measuring_pdf()
    measure.set_font(FONT, "", size)
    if measure.get_string_width(text) <= width:
        return (text,)
    return tuple(measure.multi_cell(width, 4, text, dry_run=True, output="LINES"))


@lru_cache(maxsize=1)
def _measuring_pdf() -> FPDF:
    pdf = FPDF()
    pdf.add_font(FONT, "", FONT_FILE)
    pdf.add_page()
    return pdf


def _title(pdf: FPDF, invoice: IssuedInvoice) -> None:
    pdf.set_font(FONT, "", 16)
    pdf.cell(0, 9, f"{document_title(invoice)} n° {invoice.number}", new_x="LMARGIN", new_y="NEXT")
    first, last = period_bounds(invoice.month)
    pdf.set_font(FONT, "", 9)
    pdf.cell(0, 5, f"Date d'émission : {french_date(invoice.issue_date)}    "
                   f"Période : du {french_date(first)} au {french_date(last)}    "
                   f"Échéance : {french_date(invoice.payment_date)}",
             new_x="LMARGIN", new_y="NEXT")
    if invoice.preceding:
        _write(pdf, "Factures d'origine : " + ", ".join(
            f"{number} du {french_date(day)}" for number, day in invoice.preceding), pdf.epw, 5)
    pdf.ln(4)


def _parties(pdf: FPDF, invoice: IssuedInvoice, identity: MarketplaceIdentity) -> None:
    """Issuer on the left, customer on the right, each with its legal identifiers."""
    issuer = [identity.name, identity.address, f"{identity.postcode} {identity.city}",
              identity.country, issuer_legal_line(identity), f"SIREN : {spaced_siren(identity.siren)}",
              f"N° TVA intracommunautaire : {identity.vat_number}", identity.email]
    customer = [invoice.customer_legal_name, invoice.customer_legal_form or "",
                invoice.customer_address or "",
                f"{invoice.customer_postcode or ''} {invoice.customer_city or ''}".strip(),
                invoice.customer_country or "",
                f"SIREN : {spaced_siren(invoice.customer_siren)}" if invoice.customer_siren else "",
                f"N° TVA intracommunautaire : {invoice.customer_vat_number}"
                if invoice.customer_vat_number else "",
                f"Vendeur n° {invoice.seller_id}"]
    top = pdf.get_y()
    width = (pdf.epw - 10) / 2
    bottom = top
    for x, heading, rows in ((pdf.l_margin, "Prestataire", issuer),
                             (pdf.l_margin + width + 10, "Client", customer)):
        pdf.set_xy(x, top)
        pdf.set_font(FONT, "", 10)
        pdf.cell(width, 6, heading, new_x="LEFT", new_y="NEXT")
        pdf.set_font(FONT, "", 9)
        for row in rows:
            if row:
                _write(pdf, re.sub(r"[\t\r\n]+", " ", clean_for_xlsx(row)), width)  # registry text: one line
        bottom = max(bottom, pdf.get_y())
    pdf.set_xy(pdf.l_margin, bottom + 6)


_COLUMNS = (("Désignation", 88, "L"), ("Montant HT", 26, "R"), ("TVA", 16, "C"),
            ("Montant TVA", 26, "R"), ("Montant TTC", 26, "R"))


def _lines(pdf: FPDF, invoice: IssuedInvoice) -> None:
    rate = "—" if invoice.reverse_charge else "20 %"
    pdf.set_font(FONT, "", 9)
    for heading, width, _ in _COLUMNS:
        pdf.cell(width, 6, heading, border=1, align="C")
    pdf.ln()
    for line in invoice_lines(invoice):
        labels = _wrapped(line.label, _COLUMNS[0][1] - 2, 9)
        height = 5 * len(labels)
        top = pdf.get_y()
        pdf.rect(pdf.l_margin, top, _COLUMNS[0][1], height)
        for label in labels:
            pdf.cell(_COLUMNS[0][1], 5, label, new_x="LEFT", new_y="NEXT")
        pdf.set_xy(pdf.l_margin + _COLUMNS[0][1], top)
        values = (euros(line.excl_vat), rate, euros(line.vat), euros(line.incl_vat))
        for (_, width, align), value in zip(_COLUMNS[1:], values, strict=True):
            pdf.cell(width, height, value, border=1, align=align)
        pdf.set_xy(pdf.l_margin, top + height)
    pdf.ln(3)
    totals = (("Total HT", invoice.total_excl_vat), (f"TVA ({vat_note(invoice)})", invoice.total_vat),
              ("Total TTC", invoice.total_incl_vat))
    for label, amount in totals:
        pdf.cell(pdf.epw - 30, 5.5, label, align="R")
        pdf.cell(30, 5.5, euros(amount), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)


def _mentions(pdf: FPDF, invoice: IssuedInvoice) -> None:
    mentions = [f"Catégorie de l'opération : {OPERATION_CATEGORY}.",
                f"Services facturés : mois {month_label(invoice.month)}.",
                f"{SETTLEMENT} {DUE_DATE_LABEL} : {french_date(invoice.payment_date)}.",
                f"{LATE_PENALTY} {NO_DISCOUNT}", RECOVERY_INDEMNITY]
    if invoice.reverse_charge:
        mentions.insert(0, f"{vat_note(invoice)} : TVA due par le preneur.")
    pdf.set_font(FONT, "", 8)
    for mention in mentions:
        _write(pdf, mention, pdf.epw, height=4)
