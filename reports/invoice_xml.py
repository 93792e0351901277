"""The EN 16931 (Factur-X profile EN16931) CII XML of an invoice to a seller.

Why built by hand with lxml: factur-x embeds and checks an XML but does not write one, and the
CII schema fixes the order of every element, so the builder follows it section by section
(comments name the EN 16931 business terms). factur-x's XSD check runs on the result when the
PDF is generated (`reports.invoice_pdf`); the tests also run it on its own.

Decisions:
- Amounts are the stored, booked amounts: the VAT of the breakdown is the sum booked in the
  ledger, never recomputed from the base (EN 16931 tolerates the cent differences of per-entry
  rounding).
- A negative line (more commission refunded than charged) is written as quantity -1 at a
  positive net price: EN 16931 forbids a negative item price (BR-27), not a negative line.
- Settlement is by compensation on the month's payout: payment means 97 (clearing between
  partners) with the payment date as due date.
- Mentions without a business term of their own (late-payment penalties, the 40 € indemnity,
  the category of operation, reverse charge) go in document notes with their UNTDID 4451
  subject codes (PMD, PMT, AAI, TXD); the issuer's legal form, capital and RCS go in BT-33.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from marketplace.identity import MarketplaceIdentity
from reports.invoice_documents import (
    BILLING_FRAMEWORK,
    CURRENCY,
    LATE_PENALTY,
    NO_DISCOUNT,
    OPERATION_CATEGORY,
    RECOVERY_INDEMNITY,
    REVERSE_CHARGE_CODE,
    REVERSE_CHARGE_MENTION,
    SETTLEMENT,
    VAT_RATE,
    invoice_lines,
    issuer_legal_line,
    period_bounds,
)
from reports.invoice_model import IssuedInvoice
from reports.safe_cells import clean_for_xlsx

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
EN16931 = "urn:cen.eu:en16931:2017"
SIREN_SCHEME = "0002"  # ISO 6523 ICD of the French SIRENE register
DIRECTORY_SCHEME = "0225"  # EAS code of the French e-invoicing directory (address = SIREN)


def _qname(tag: str) -> str:
    prefix, local = tag.split(":")
    return f"{{{NS[prefix]}}}{local}"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, _qname(tag), attributes)
    if text is not None:
        element.text = clean_for_xlsx(text)  # registry text: XML 1.0 refuses control characters
    return element


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _date(parent: etree._Element, tag: str, day) -> None:
    holder = _sub(parent, tag)
    _sub(holder, "udt:DateTimeString", day.strftime("%Y%m%d"), format="102")


def invoice_xml(invoice: IssuedInvoice, identity: MarketplaceIdentity) -> bytes:
    """The document's CII XML, UTF-8 encoded, deterministic for a given invoice and identity."""
    root = etree.Element(_qname("rsm:CrossIndustryInvoice"), nsmap=NS)
    context = _sub(root, "rsm:ExchangedDocumentContext")
    _sub(_sub(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID",
         BILLING_FRAMEWORK)  # BT-23
    _sub(_sub(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", EN16931)
    _header(_sub(root, "rsm:ExchangedDocument"), invoice)
    transaction = _sub(root, "rsm:SupplyChainTradeTransaction")
    category = _category(invoice)
    for line in invoice_lines(invoice):
        _line(transaction, line, category)
    agreement = _sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    _issuer(agreement, identity)
    _customer(agreement, invoice)
    # BT-72: the billed month's last day, when its services were all rendered
    delivery = _sub(transaction, "ram:ApplicableHeaderTradeDelivery")
    _date(_sub(delivery, "ram:ActualDeliverySupplyChainEvent"), "ram:OccurrenceDateTime",
          period_bounds(invoice.month)[1])
    _settlement(_sub(transaction, "ram:ApplicableHeaderTradeSettlement"), invoice, category)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _category(invoice: IssuedInvoice) -> tuple[str, Decimal]:
    """VAT category code and rate: standard 20 %, or AE (reverse charge) at 0."""
    return ("AE", Decimal("0.00")) if invoice.reverse_charge else ("S", VAT_RATE)


def _header(document: etree._Element, invoice: IssuedInvoice) -> None:
    _sub(document, "ram:ID", invoice.number)  # BT-1
    _sub(document, "ram:TypeCode", str(invoice.type_code))  # BT-3
    _date(document, "ram:IssueDateTime", invoice.issue_date)  # BT-2
    notes = [(f"Catégorie de l'opération : {OPERATION_CATEGORY}", "AAI"), (LATE_PENALTY, "PMD"),
             (RECOVERY_INDEMNITY, "PMT"), (NO_DISCOUNT, "AAB")]
    if invoice.reverse_charge:
        notes.append((REVERSE_CHARGE_MENTION, "TXD"))
    for content, subject in notes:  # BG-1
        note = _sub(document, "ram:IncludedNote")
        _sub(note, "ram:Content", content)
        _sub(note, "ram:SubjectCode", subject)


def _line(transaction: etree._Element, line, category: tuple[str, Decimal]) -> None:
    item = _sub(transaction, "ram:IncludedSupplyChainTradeLineItem")  # BG-25
    _sub(_sub(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(line.line_id))
    _sub(_sub(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.label)  # BT-153
    agreement = _sub(item, "ram:SpecifiedLineTradeAgreement")
    price = _sub(agreement, "ram:NetPriceProductTradePrice")
    _sub(price, "ram:ChargeAmount", _amount(abs(line.excl_vat)))  # BT-146, never negative
    quantity = "-1" if line.excl_vat < 0 else "1"
    _sub(_sub(item, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity", quantity, unitCode="C62")
    settlement = _sub(item, "ram:SpecifiedLineTradeSettlement")
    tax = _sub(settlement, "ram:ApplicableTradeTax")
    _sub(tax, "ram:TypeCode", "VAT")
    _sub(tax, "ram:CategoryCode", category[0])  # BT-151
    _sub(tax, "ram:RateApplicablePercent", _amount(category[1]))  # BT-152
    summation = _sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    _sub(summation, "ram:LineTotalAmount", _amount(line.excl_vat))  # BT-131


def _party(parent: etree._Element, tag: str, name: str, legal_line: str | None, siren: str | None,
           address: tuple[str | None, str | None, str | None, str | None],
           electronic_address: tuple[str, str] | None, vat_number: str | None) -> None:
    """`electronic_address`: (value, scheme), the party's e-invoicing address (BT-34 / BT-49)."""
    party = _sub(parent, tag)
    _sub(party, "ram:Name", name)
    if legal_line:
        _sub(party, "ram:Description", legal_line)  # BT-33
    if siren:
        legal = _sub(party, "ram:SpecifiedLegalOrganization")
        _sub(legal, "ram:ID", siren, schemeID=SIREN_SCHEME)  # BT-30 / BT-47
    postcode, street, city, country = address
    postal = _sub(party, "ram:PostalTradeAddress")
    for tag_name, value in (("ram:PostcodeCode", postcode), ("ram:LineOne", street),
                            ("ram:CityName", city)):
        if value:
            _sub(postal, tag_name, value)
    _sub(postal, "ram:CountryID", country or "FR")
    if electronic_address:
        value, scheme = electronic_address
        _sub(_sub(party, "ram:URIUniversalCommunication"), "ram:URIID", value, schemeID=scheme)
    if vat_number:
        _sub(_sub(party, "ram:SpecifiedTaxRegistration"), "ram:ID", vat_number, schemeID="VA")


def _issuer(agreement: etree._Element, identity: MarketplaceIdentity) -> None:
    """BG-4: the marketplace sells the service."""
    _party(agreement, "ram:SellerTradeParty", identity.name, issuer_legal_line(identity),
           identity.siren, (identity.postcode, identity.address, identity.city, identity.country),
           (identity.email, "EM") if identity.email else None, identity.vat_number)


def _customer(agreement: etree._Element, invoice: IssuedInvoice) -> None:
    """BG-7: the seller buys it; a French company is addressed through the e-invoicing
    directory by its SIREN (scheme 0225), as the French rules want (BR-FR-12)."""
    siren = invoice.customer_siren
    _party(agreement, "ram:BuyerTradeParty", invoice.customer_legal_name, None, siren,
           (invoice.customer_postcode, invoice.customer_address, invoice.customer_city,
            invoice.customer_country), (siren, DIRECTORY_SCHEME) if siren else None,
           invoice.customer_vat_number)


def _settlement(settlement: etree._Element, invoice: IssuedInvoice,
                category: tuple[str, Decimal]) -> None:
    _sub(settlement, "ram:InvoiceCurrencyCode", CURRENCY)  # BT-5
    means = _sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")  # BG-16
    _sub(means, "ram:TypeCode", "97")
    _sub(means, "ram:Information", SETTLEMENT)
    tax = _sub(settlement, "ram:ApplicableTradeTax")  # BG-23
    _sub(tax, "ram:CalculatedAmount", _amount(invoice.total_vat))
    _sub(tax, "ram:TypeCode", "VAT")
    if invoice.reverse_charge:
        _sub(tax, "ram:ExemptionReason", REVERSE_CHARGE_MENTION)  # BT-120
    _sub(tax, "ram:BasisAmount", _amount(invoice.total_excl_vat))
    _sub(tax, "ram:CategoryCode", category[0])
    if invoice.reverse_charge:
        _sub(tax, "ram:ExemptionReasonCode", REVERSE_CHARGE_CODE)  # BT-121
    _sub(tax, "ram:RateApplicablePercent", _amount(category[1]))
    period = _sub(settlement, "ram:BillingSpecifiedPeriod")  # BG-14: the billed month
    first, last = period_bounds(invoice.month)
    _date(period, "ram:StartDateTime", first)
    _date(period, "ram:EndDateTime", last)
    terms = _sub(settlement, "ram:SpecifiedTradePaymentTerms")
    _sub(terms, "ram:Description", f"{SETTLEMENT} {RECOVERY_INDEMNITY}")  # BT-20
    _date(terms, "ram:DueDateDateTime", invoice.payment_date)  # BT-9
    totals = _sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")  # BG-22
    _sub(totals, "ram:LineTotalAmount", _amount(invoice.total_excl_vat))
    _sub(totals, "ram:TaxBasisTotalAmount", _amount(invoice.total_excl_vat))
    _sub(totals, "ram:TaxTotalAmount", _amount(invoice.total_vat), currencyID=CURRENCY)
    _sub(totals, "ram:GrandTotalAmount", _amount(invoice.total_incl_vat))
    _sub(totals, "ram:DuePayableAmount", _amount(invoice.total_incl_vat))
    for number, issued_on in invoice.preceding:  # BG-3: the invoices a credit note corrects
        document = _sub(settlement, "ram:InvoiceReferencedDocument")
        _sub(document, "ram:IssuerAssignedID", number)  # BT-25
        holder = _sub(document, "ram:FormattedIssueDateTime")  # BT-26
        _sub(holder, "qdt:DateTimeString", issued_on.strftime("%Y%m%d"), format="102")
