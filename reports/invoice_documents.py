"""What an invoice to a seller says, independent of its format: lines, notes and parties.

Why a module of its own: the PDF page and the EN 16931 XML must carry the same facts (the
legal mentions seed 004 lists, the e-invoicing reform's customer SIREN and category of
operation, reverse charge); both are built from `IssuedInvoice` through these helpers so a
wording or an amount can never differ between the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from marketplace.identity import MarketplaceIdentity
from reports.invoice_model import IssuedInvoice

VAT_RATE = Decimal("20.00")
CURRENCY = "EUR"
OPERATION_CATEGORY = "Prestations de services"
REVERSE_CHARGE_MENTION = "Autoliquidation — article 196 de la directive 2006/112/CE"
REVERSE_CHARGE_CODE = "VATEX-EU-AE"  # CEF VATEX code list: reverse charge
LATE_PENALTY = ("Pénalités de retard : taux d'intérêt appliqué par la BCE à son opération de "
                "refinancement la plus récente, majoré de 10 points (article L441-10 du Code de "
                "commerce).")
NO_DISCOUNT = "Pas d'escompte pour paiement anticipé."
BILLING_FRAMEWORK = "S1"  # French e-invoicing "cadre de facturation": an invoice for services
RECOVERY_INDEMNITY = ("Indemnité forfaitaire pour frais de recouvrement en cas de retard de "
                      "paiement : 40 € (articles L441-10 et D441-5 du Code de commerce).")
SETTLEMENT = ("Règlement par compensation avec le reversement des ventes du mois (imputé sur le"
              " solde du compte vendeur).")
"""How the invoice is paid, true whatever the month's payout: a seller whose balance is carried
or held has not been paid, so the invoice never says it is settled."""
DUE_DATE_LABEL = "Date à laquelle le règlement doit intervenir"  # the mention of seed 004

_LINE_LABELS = {
    "commission": "Commissions sur les ventes {period}, nettes des commissions remboursées",
    "subscription": "Abonnement vendeur {period}",
    "premium": "Offre premium {period}",
}
_MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre")


@dataclass(frozen=True)
class InvoiceLine:
    """One printed line: a kind of service for the month, amounts as printed (signed)."""

    line_id: int
    label: str
    excl_vat: Decimal
    vat: Decimal

    @property
    def incl_vat(self) -> Decimal:
        return self.excl_vat + self.vat


def invoice_lines(invoice: IssuedInvoice) -> list[InvoiceLine]:
    """The non-zero lines in a fixed order (commission, subscription, premium)."""
    period = month_label(invoice.month)
    amounts = (("commission", invoice.commission_excl_vat, invoice.commission_vat),
               ("subscription", invoice.subscription_excl_vat, invoice.subscription_vat),
               ("premium", invoice.premium_excl_vat, invoice.premium_vat))
    kept = [(kind, excl, vat) for kind, excl, vat in amounts if excl or vat]
    return [InvoiceLine(index, _LINE_LABELS[kind].format(period=period), excl, vat)
            for index, (kind, excl, vat) in enumerate(kept, start=1)]


def month_label(month: str) -> str:
    """"2026-11" → "de novembre 2026"."""
    year, number = month.split("-")
    name = _MONTHS_FR[int(number) - 1]
    return f"d'{name} {year}" if name[0] in "aeiou" else f"de {name} {year}"


def document_title(invoice: IssuedInvoice) -> str:
    return "Avoir" if invoice.is_credit_note else "Facture"


def issuer_legal_line(identity: MarketplaceIdentity) -> str:
    """Legal form, share capital, RCS city and number: the issuer mentions of the Code de commerce."""
    return (f"{identity.legal_form} au capital de {euros(identity.share_capital)} — "
            f"RCS {identity.rcs_city} {spaced_siren(identity.siren)}")


def vat_note(invoice: IssuedInvoice) -> str:
    if invoice.reverse_charge:
        return REVERSE_CHARGE_MENTION
    return f"TVA au taux de {VAT_RATE:.0f} %"


def euros(amount: Decimal) -> str:
    """French display of an amount: "1 234,50 €" (narrow no-break space between thousands)."""
    sign = "-" if amount < 0 else ""
    whole, cents = f"{abs(amount):.2f}".split(".")
    groups = f"{int(whole):,}".replace(",", "\u202f")
    return f"{sign}{groups},{cents} €"


def spaced_siren(siren: str) -> str:
    return " ".join(siren[i:i + 3] for i in range(0, len(siren), 3))


def french_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def period_bounds(month: str) -> tuple[date, date]:
    """First and last day of the billed month."""
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return first, date.fromordinal(following.toordinal() - 1)
