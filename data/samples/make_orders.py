"""Make the demo's order export, data/samples/orders/2026-11-22.csv (deterministic).

One month of orders (2026-10-23 to 2026-11-22, Paris time) for the sample sellers, on their
sample offers, shaped so that the quality report of 2026-11-22 tells a story:
- 102, Librairie du Marais (activated 2025-09-15): a Top Seller, 130 orders nearly all accepted
  within hours, tracked parcels on time, few claims, ratings around 4.9, quick answers;
- 103, Ordi Plus: enters probation, many orders left without a decision (acceptance ≈ 75 %)
  and claims around 10 %;
- 101, Formations Lumière: an ordinary seller selling digital training (no tracking).
Order ids start with "Q-" (the payout demo uses "P-"). Events after the export day are left
empty: they have not happened yet. Run: .venv/bin/python data/samples/make_orders.py
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

SAMPLES = Path(__file__).resolve().parent
PARIS = ZoneInfo("Europe/Paris")
FIRST_DAY = datetime(2026, 10, 23, tzinfo=PARIS)
EXPORT_END = datetime.combine(datetime(2026, 11, 23).date(), time(), PARIS)  # end of 2026-11-22
COLUMNS = [
    "order_id", "seller_id", "sku", "customer_type", "ordered_at", "amount", "shipping_amount",
    "accepted_at", "refused_at", "shipped_at", "delivery", "tracking_number", "carrier",
    "estimated_delivery_at", "delivered_at", "refunded_at", "refund_amount", "refund_reason",
    "claim_opened_at", "claim_reason", "question_at", "answered_at", "rated_at",
    "rating_delivery_place", "rating_on_time", "rating_care", "rating_conformity",
    "rating_packaging", "goodwill_amount", "goodwill_at",
]
# seller: (orders, P(refused), P(no decision), P(claim), P(spontaneous refund), P(late),
#          P(question), answer hours (min, max), ratings drawn from, delivery)
PROFILES = {
    101: (40, 0.03, 0.05, 0.01, 0.03, 0.0, 0.4, (4, 70), (3, 4, 4, 5, 5), "digital"),
    102: (130, 0.01, 0.0, 0.01, 0.005, 0.02, 0.25, (1, 20), (4, 5, 5, 5, 5, 5, 5, 5, 5, 5), "tracked"),
    103: (60, 0.05, 0.30, 0.10, 0.04, 0.08, 0.3, (10, 80), (2, 3, 4, 4, 5), "tracked"),
}


# The skus of the sample offer files that load (their other rows carry the samples' deliberate
# mistakes): orders name offers the catalogue knows, so the demo shows no unknown-sku warnings.
SKUS = {
    101: ["FORM-LNG-001", "FORM-LNG-002", "FORM-MGT-001", "FORM-MGT-002", "FORM-SEC-001"],
    102: ["LIV-0001", "LIV-0002", "LIV-0003", "LIV-0009"],
    103: ["PC-0001", "PC-0002", "PC-0003", "PC-0008"],
}


def _iso(moment: datetime | None) -> str:
    return "" if moment is None or moment >= EXPORT_END else moment.isoformat(timespec="seconds")


def _order(rng: random.Random, seller: int, n: int, skus: list[str]) -> dict[str, str]:
    count, p_refuse, p_pending, p_claim, p_refund, p_late, p_question, answer, marks, delivery = \
        PROFILES[seller]
    ordered = FIRST_DAY + timedelta(days=rng.randrange(31), hours=rng.randrange(8, 22),
                                    minutes=rng.randrange(60))
    row = dict.fromkeys(COLUMNS, "")
    cents = rng.randrange(500, 60000)
    row.update(order_id=f"Q-{seller}-{n:04d}", seller_id=str(seller), sku=rng.choice(skus),
               customer_type=rng.choice(("individual", "individual", "business")),
               ordered_at=_iso(ordered), amount=f"{cents // 100}.{cents % 100:02d}",
               shipping_amount="0.00" if delivery == "digital" else "4.90", delivery=delivery)
    draw = rng.random()
    if draw < p_refuse:
        row["refused_at"] = _iso(ordered + timedelta(hours=rng.randrange(1, 20)))
        return row
    if draw < p_refuse + p_pending:
        return row  # never decided: expired once its deadline has passed
    accepted = ordered + timedelta(hours=rng.randrange(1, 6))
    shipped = accepted + timedelta(hours=rng.randrange(2, 30))
    estimated = shipped + timedelta(days=0 if delivery == "digital" else 3)
    late = rng.random() < p_late
    delivered = estimated.replace(hour=12) + timedelta(days=2 if late else 0) if delivery != "digital" \
        else shipped
    row.update(accepted_at=_iso(accepted), shipped_at=_iso(shipped), estimated_delivery_at=_iso(estimated),
               delivered_at=_iso(delivered))
    if delivery == "tracked" and row["shipped_at"]:
        row.update(tracking_number=f"6A{rng.randrange(10**10):010d}", carrier="Colissimo")
    if rng.random() < p_claim:
        if _iso(delivered + timedelta(days=1)):
            row.update(claim_opened_at=_iso(delivered + timedelta(days=1)), claim_reason="Produit abîmé")
    elif rng.random() < p_refund and _iso(accepted + timedelta(days=1)):
        row.update(refunded_at=_iso(accepted + timedelta(days=1)), refund_amount=row["amount"],
                   refund_reason="spontaneous")
    if rng.random() < p_question:
        question = ordered + timedelta(hours=rng.randrange(1, 48))
        row.update(question_at=_iso(question),
                   answered_at=_iso(question + timedelta(hours=rng.randrange(*answer))))
    if row["delivered_at"] and rng.random() < 0.5:
        rated = delivered + timedelta(days=rng.randrange(1, 4))
        if _iso(rated):
            row["rated_at"] = _iso(rated)
            for aspect in COLUMNS[23:28]:
                row[aspect] = str(rng.choice(marks))
    return row


def make_orders(out: Path) -> int:
    rng = random.Random(20261122)
    rows = [_order(rng, seller, n, SKUS[seller]) for seller in PROFILES
            for n in range(1, PROFILES[seller][0] + 1)]
    rows.sort(key=lambda row: (row["ordered_at"], row["order_id"]))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    print(make_orders(SAMPLES / "orders" / "2026-11-22.csv"), "orders written")
