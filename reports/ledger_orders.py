"""Book the order events of month M: SALE, COMMISSION, REFUND, COMMISSION_REFUND, GOODWILL.

Each kind is one INSERT ... SELECT over the orders table (no per-order Python), ending with
ON CONFLICT DO NOTHING on the booking key. Rules (payouts.md), and the decisions that fill its
gaps:
- SALE: accepted, not refused, delivered (or access granted) before the end of M in Paris, not
  before the catalog's first month (the first closed one, or M before any: an order of 2025
  re-exported for a late refund was the previous back office's, paid by it, and was paid again;
  its refund is not booked either, as for any order never sold here), and never sold before:
  an order is sold once whatever the feed replays (the booking key (SALE, seller, order); an
  order belongs to one seller for good), and an event that arrives
  after its month was closed lands in the next open month (the one being booked). Anti-joins
  against the ledger being written are left to the unique index (ON CONFLICT): a NOT EXISTS
  over a table the statement fills is planned from stale statistics and can turn quadratic.
- COMMISSION: with its SALE, on base = amount + shipping; the rate is the category's of the
  offer (seller, sku); an order whose sku matches no offer, or whose category has no rate,
  gets `default_commission_rate` of billing.csv. VAT 20 % half-up on the running total of the
  rounded commissions a booking adds for the seller (see `_COMMISSIONS`), none under reverse
  charge (a seller of another EU country with a VAT number, which the registry feed has
  validated).
- REFUND: only for an order already sold (now or before): a refund of an order never
  delivered never credited the seller, so it debits nothing. The order row holds the
  cumulative refunded amount; each month books the difference between it and what the ledger
  holds for the order (key order@month), up or down: 40 then 30 then 40 again ends at 40, and
  a refund a later export clears is given back. The key used to be order@cents: the third
  state, already a key, booked nothing, and a cleared refund stayed booked.
- COMMISSION_REFUND: with each REFUND, the booked commission × refunded share (of the order's
  amount now, which a later export may have changed after the sale was booked), half-up, and
  its VAT half-up (none when the original commission bore none); computed on the cumulative
  refunded share minus what earlier refunds of the order gave back, so a full refund gives
  back exactly the commission.
- GOODWILL: goodwill_at before the end of M (and not before the catalog's first month: the
  previous back office's voucher); like a refund, each month books the difference
  between the order's goodwill and what the ledger holds for it (key order@month): a voucher
  raised or lowered by a later export was kept at its first amount. The feed refuses more
  than 25 % of the amount; one that still reaches the ledger is capped at 25 % (rounded down
  to the cent): the seller's terms never let a voucher cost more, and ops recover the rest,
  if due, by an ADJUSTMENT.
- A refund or a voucher a later export clears has no date of its own: its reversal is dated
  when the catalog learned it, or the month's last second if that is later.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from marketplace.reference import Billing, Category
from reports.ledger_sql import PPM, at_end, half_up_ppm, ppm, refresh_statistics, utc_naive
from reports.payout_calendar import PayoutMonth, parse_month

EU_COUNTRIES = ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
                "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK")
GOODWILL_CAP_PERCENT = 25


def reverse_charge_sql(seller: str) -> str:
    """SQL true for a seller invoiced without VAT (autoliquidation, art. 196 directive 2006/112)."""
    return (f"({seller}.country IS NOT NULL AND {seller}.country <> 'FR' AND {seller}.country IN :eu"
            f" AND {seller}.vat_number IS NOT NULL AND {seller}.vat_number <> '')")


def reverse_charge_mask(country: pd.Series, vat_number: pd.Series) -> pd.Series:
    """The same rule as `reverse_charge_sql`, over columns of sellers."""
    return country.isin(EU_COUNTRIES) & (country != "FR") & vat_number.fillna("").ne("")


def _rate_case(categories: dict[str, Category], billing: Billing) -> tuple[str, dict]:
    """CASE category WHEN ... THEN rate (ppm) ... ELSE default END, with bound parameters."""
    rated = [c for c in categories.values() if c.commission_rate is not None]
    whens = " ".join(f"WHEN :cat{i} THEN CAST(:rate{i} AS BIGINT)" for i in range(len(rated)))
    params = {f"cat{i}": c.code for i, c in enumerate(rated)}
    params |= {f"rate{i}": ppm(c.commission_rate) for i, c in enumerate(rated)}
    params["default_rate"] = ppm(billing.default_commission_rate)
    return f"CASE off.category {whens} ELSE CAST(:default_rate AS BIGINT) END", params


def book_order_events(session: Session, month: PayoutMonth, categories: dict[str, Category],
                      billing: Billing) -> None:
    """Book every order event of `month` not booked yet, in dependency order."""
    end = utc_naive(month.end)
    first = session.execute(text("SELECT MIN(month) FROM payout_months WHERE status = 'closed'")).scalar()
    base = {"month": month.key, "end": end, "last": end - timedelta(seconds=1),
            "first": utc_naive((parse_month(first) if first else month).start),
            "vat": ppm(billing.vat_rate)}
    rate_case, rate_params = _rate_case(categories, billing)
    eu = bindparam("eu", value=list(EU_COUNTRIES), expanding=True)
    session.execute(at_end(_SALES), base)
    refresh_statistics(session)  # the next statements join the entries just booked
    session.execute(text(_COMMISSIONS.format(rate=rate_case, reverse=reverse_charge_sql("s"),
                                             vat_to=half_up_ppm("y.cum", ":vat"),
                                             vat_before=half_up_ppm("y.cum - y.c", ":vat")))
                    .bindparams(eu), base | rate_params)
    refresh_statistics(session)
    session.execute(at_end(_REFUNDS), base)
    session.execute(text(_COMMISSION_REFUNDS), base)
    session.execute(at_end(_GOODWILL.format(cap=GOODWILL_CAP_PERCENT)), base)


_INSERT = ("INSERT INTO ledger_entries (seller_id, month, entry_type, occurred_at, order_id,"
           " reference, category, amount, vat, text) ")

_SALES = _INSERT + """
SELECT o.seller_id, :month, 'SALE', o.delivered_at, o.order_id, o.order_id, NULL,
       o.amount + o.shipping_amount, 0, 'Vente / sale ' || o.order_id
FROM orders o
WHERE o.accepted_at IS NOT NULL AND o.refused_at IS NULL
  AND o.delivered_at IS NOT NULL AND o.delivered_at >= :first AND o.delivered_at < :end
ON CONFLICT DO NOTHING"""

# The commission (z.c) is base × rate (ppm) rounded half-up once. Its VAT is that of the
# running total of the commissions this booking adds for the seller (y.cum) less that of the
# total before it: the VAT of a booking's commissions adds up to 20 % of their sum rounded once,
# as the invoice's VAT must (EN 16931, BR-CO-17, ±1 €). Rounded commission by commission, 300
# sales whose 1.63 commission bore 0.326 of VAT each were invoiced 99.00 of VAT on 489.00.
# Sales already commissioned (an earlier draft's) are left out of the running total.
_COMMISSIONS = _INSERT + """
SELECT y.seller_id, :month, 'COMMISSION', y.occurred_at, y.order_id, y.order_id, y.category,
       -(y.c + CASE WHEN y.rc = 1 THEN 0 ELSE {vat_to} - {vat_before} END),
       -(CASE WHEN y.rc = 1 THEN 0 ELSE {vat_to} - {vat_before} END),
       'Commission ' || y.order_id
FROM (SELECT x.*, CAST(SUM(x.c) OVER (PARTITION BY x.seller_id ORDER BY x.occurred_at, x.order_id
                                      ROWS UNBOUNDED PRECEDING) AS BIGINT) AS cum
      FROM (SELECT z.*, (z.base * z.rate + """ + str(PPM // 2) + ") / " + str(PPM) + """ AS c
            FROM (SELECT l.seller_id, l.occurred_at, l.order_id, l.amount AS base, off.category,
                         {rate} AS rate,
                         CASE WHEN {reverse} THEN 1 ELSE 0 END AS rc
                  FROM ledger_entries l
                  JOIN orders o ON o.order_id = l.order_id
                  LEFT JOIN offers off ON off.seller_id = o.seller_id AND off.sku = o.sku
                  LEFT JOIN sellers s ON s.seller_id = l.seller_id
                  LEFT JOIN ledger_entries done ON done.entry_type = 'COMMISSION'
                       AND done.seller_id = l.seller_id AND done.reference = l.reference
                  WHERE l.month = :month AND l.entry_type = 'SALE' AND done.id IS NULL) z) x) y
WHERE true
ON CONFLICT DO NOTHING"""

_CLEARED_AT = "CASE WHEN o.updated_at < :end THEN o.updated_at ELSE :last END"
"""When a later export took a refund or a voucher away: when we learned it, within M."""

_REFUNDS = _INSERT + """
SELECT y.seller_id, :month, 'REFUND', y.occurred_at, y.order_id,
       y.order_id || '@' || CAST(:month AS VARCHAR(7)), NULL, -(y.refund_amount - y.refunded), 0,
       'Remboursement / refund ' || y.order_id
FROM (SELECT sale.seller_id, o.order_id,
             CASE WHEN o.refund_amount IS NULL THEN """ + _CLEARED_AT + """
                  ELSE o.refunded_at END AS occurred_at,
             COALESCE(o.refund_amount, 0) AS refund_amount,
             COALESCE((SELECT SUM(-r.amount) FROM ledger_entries r
                       WHERE r.entry_type = 'REFUND' AND r.order_id = o.order_id), 0) AS refunded
      FROM orders o
      JOIN ledger_entries sale ON sale.order_id = o.order_id AND sale.entry_type = 'SALE'
      WHERE (o.refund_amount IS NOT NULL AND o.refunded_at IS NOT NULL AND o.refunded_at < :end)
         OR (o.refund_amount IS NULL  -- one hashed set, not a probe per sold order
             AND o.order_id IN (SELECT b.order_id FROM ledger_entries b
                                WHERE b.entry_type = 'REFUND'))) y
WHERE y.refund_amount <> y.refunded
ON CONFLICT DO NOTHING"""

# Cumulative (sums cast to BIGINT: PostgreSQL's SUM is numeric, whose division does not
# truncate), so that the refunds of an order add up to its commission: y.xc is the commission
# excl. VAT on the whole share refunded so far (half-up), y.vc the same share of the VAT the
# commission bore (its own rounding: 20 % of y.xc gave back 0.33 of a 0.32); each booking is that
# minus what earlier COMMISSION_REFUNDs of the order already gave back. Per-refund rounding made
# three refunds of a 100.00 order (0.10, 0.10, the rest) give back 15.01 of a 15.00 commission.
# The share refunded is of the order's amount now (cumulative refunds capped at it): an order
# whose amount a later export raised after its sale's month closed (100.00 sold, 150.00 then
# refunded in full) gave back 150/100 of its commission, 22.50 of the 15.00 charged.
_ORDER_TOTAL = "(o.amount + COALESCE(o.shipping_amount, 0))"
_REFUNDED = f"(CASE WHEN cum.refunded > {_ORDER_TOTAL} THEN {_ORDER_TOTAL} ELSE cum.refunded END)"
_COMMISSION_REFUNDS = _INSERT + """
SELECT y.seller_id, :month, 'COMMISSION_REFUND', y.occurred_at, y.order_id, y.reference,
       y.category, (y.xc - y.px) + (y.vc - y.pv), y.vc - y.pv,
       'Remboursement de commission / commission refund ' || y.order_id
FROM (SELECT r.seller_id, r.occurred_at, r.order_id, r.reference, c.category,
                   CASE WHEN """ + _ORDER_TOTAL + """ <= 0 THEN 0
                        ELSE (2 * (c.vat - c.amount) * """ + _REFUNDED + " + " + _ORDER_TOTAL + """)
                             / (2 * """ + _ORDER_TOTAL + """)
                   END AS xc,
                   CASE WHEN """ + _ORDER_TOTAL + """ <= 0 THEN 0
                        ELSE (2 * -c.vat * """ + _REFUNDED + " + " + _ORDER_TOTAL + """)
                             / (2 * """ + _ORDER_TOTAL + """)
                   END AS vc,
                   COALESCE((SELECT CAST(SUM(p.amount - p.vat) AS BIGINT) FROM ledger_entries p
                             WHERE p.entry_type = 'COMMISSION_REFUND' AND p.order_id = r.order_id
                               AND p.reference <> r.reference), 0) AS px,
                   COALESCE((SELECT CAST(SUM(p.vat) AS BIGINT) FROM ledger_entries p
                             WHERE p.entry_type = 'COMMISSION_REFUND' AND p.order_id = r.order_id
                               AND p.reference <> r.reference), 0) AS pv
            FROM ledger_entries r
            JOIN orders o ON o.order_id = r.order_id
            JOIN ledger_entries c ON c.order_id = r.order_id AND c.entry_type = 'COMMISSION'
            JOIN (SELECT f.order_id, CAST(SUM(-f.amount) AS BIGINT) AS refunded FROM ledger_entries f
                  WHERE f.entry_type = 'REFUND' GROUP BY f.order_id) cum ON cum.order_id = r.order_id
            WHERE r.month = :month AND r.entry_type = 'REFUND') y
WHERE true
ON CONFLICT DO NOTHING"""

_GOODWILL = _INSERT + """
SELECT y.seller_id, :month, 'GOODWILL', y.occurred_at, y.order_id,
       y.order_id || '@' || CAST(:month AS VARCHAR(7)), NULL, -(y.due - y.booked), 0,
       CASE WHEN y.capped = 1 THEN 'Geste commercial plafonné à 25 % / goodwill capped at 25 % '
            ELSE 'Geste commercial / goodwill ' END || y.order_id
FROM (SELECT o.seller_id, o.order_id,
             CASE WHEN o.goodwill_at IS NULL THEN """ + _CLEARED_AT + """
                  ELSE o.goodwill_at END AS occurred_at,
             CASE WHEN o.goodwill_at IS NULL OR COALESCE(o.goodwill_amount, 0) <= 0 THEN 0
                  WHEN o.goodwill_amount * 100 > o.amount * {cap} THEN o.amount * {cap} / 100
                  ELSE o.goodwill_amount END AS due,
             CASE WHEN o.goodwill_amount * 100 > o.amount * {cap} THEN 1 ELSE 0 END AS capped,
             COALESCE((SELECT SUM(-g.amount) FROM ledger_entries g
                       WHERE g.entry_type = 'GOODWILL' AND g.order_id = o.order_id), 0) AS booked
      FROM orders o
      WHERE o.accepted_at IS NOT NULL
        AND ((o.goodwill_amount > 0 AND o.goodwill_at IS NOT NULL AND o.goodwill_at < :end
              AND o.goodwill_at >= :first)
             OR ((o.goodwill_at IS NULL OR COALESCE(o.goodwill_amount, 0) <= 0)
                 AND o.order_id IN (SELECT b.order_id FROM ledger_entries b
                                    WHERE b.entry_type = 'GOODWILL')))) y
WHERE y.due <> y.booked
ON CONFLICT DO NOTHING"""
