"""Quality statuses over several nights: probation, deactivation proposed, back to active,
trial limit reached (and the offers it unpublishes), vacation; every change recorded."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from marketplace.models import Offer, QualityStatusChange
from marketplace.storage import StorageError
from reports.offers_export import export_offers
from reports.quality_status import next_status, trial_reason
from tests.test_quality_data import csv_rows, night, orders, paris, perfect_orders, seller, stored

ENTRY = date(2026, 11, 1)


def _refused(seller_id: int, count: int) -> list[dict]:
    return [{"order_id": f"REF-{seller_id}-{n}", "seller_id": seller_id,
             "ordered_at": paris("2026-10-20 10:00"), "refused_at": paris("2026-10-20 11:00")}
            for n in range(count)]


def test_probation_lasts_14_days_then_deactivation_is_proposed_then_back_to_active(engine, tmp_path):
    seller(engine, 1)
    orders(engine, _refused(1, 10))  # acceptance 0 / 10 = 0 % < 85 %: past the threshold
    entered = night(engine, tmp_path, ENTRY)
    assert entered.new_probations == 1
    assert stored(engine, ENTRY, 1)["probation_since"] == ENTRY
    # the 14th day of probation is ENTRY + 13 (day 1 = ENTRY): still probation
    night(engine, tmp_path, ENTRY + timedelta(days=13))
    assert stored(engine, ENTRY + timedelta(days=13), 1)["status"] == "probation"
    # the 15th day, ENTRY + 14: the 14 days are over and it is still past → proposed
    proposed = night(engine, tmp_path, ENTRY + timedelta(days=14))
    assert stored(engine, ENTRY + timedelta(days=14), 1)["status"] == "deactivation_proposed"
    assert proposed.deactivations_proposed == 1
    # 60 accepted orders later: 60 / 70 = 85.7 % ≥ 85 % → back within every threshold
    orders(engine, perfect_orders(1, 60, paris("2026-11-16 08:00")))
    back = ENTRY + timedelta(days=20)  # the 60 orders are placed 16 Nov 08:00 .. 18 Nov 19:00
    night(engine, tmp_path, back)
    assert stored(engine, back, 1)["status"] == "active"
    with Session(engine) as session:
        changes = session.execute(
            select(QualityStatusChange.report_date, QualityStatusChange.from_status,
                   QualityStatusChange.to_status).order_by(QualityStatusChange.report_date)).all()
    assert [tuple(change) for change in changes] == [
        (ENTRY, "active", "probation"),
        (ENTRY + timedelta(days=14), "probation", "deactivation_proposed"),
        (back, "deactivation_proposed", "active"),
    ]


def test_rerunning_a_night_replaces_its_rows_and_changes(engine, tmp_path):
    seller(engine, 1)
    orders(engine, _refused(1, 10))
    night(engine, tmp_path, ENTRY)
    night(engine, tmp_path, ENTRY)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM quality_indicators")).scalar_one() == 1
        assert connection.execute(text("SELECT count(*) FROM quality_status_changes")).scalar_one() == 1
    # the re-run reads the night before it (none), so the entry date is unchanged
    assert stored(engine, ENTRY, 1)["probation_since"] == ENTRY


def test_a_night_that_failed_to_publish_is_not_the_previous_night_of_the_next(engine, tmp_path):
    seller(engine, 1)
    night(engine, tmp_path, ENTRY - timedelta(days=1))  # no orders yet: active
    orders(engine, _refused(1, 10))
    failed = tmp_path / "store" / "outbox" / "quality" / ENTRY.isoformat()
    failed.parent.mkdir(parents=True, exist_ok=True)
    failed.write_text("a file where the night's folder goes: every write fails")
    with pytest.raises(StorageError):
        night(engine, tmp_path, ENTRY)
    # the entry into probation, in no published file, is found again and reported the next night
    following = ENTRY + timedelta(days=1)
    assert night(engine, tmp_path, following).new_probations == 1
    assert stored(engine, following, 1)["probation_since"] == following
    assert csv_rows(tmp_path, following)["1"]["status_change"] != ""
    with engine.connect() as connection:  # recorded once, by the night that reported it
        assert connection.execute(text("SELECT report_date FROM quality_status_changes"
                                       " WHERE seller_id = 1")).scalars().all() in (
            [following], [following.isoformat()])
    # a re-run of the failed night, once storage is back, publishes it
    failed.unlink()
    assert night(engine, tmp_path, ENTRY).new_probations == 1
    # published once, a night stays so: a re-run failing to write does not make the next
    # night announce the probation again
    (failed / "indicators.csv").unlink()
    (failed / "indicators.csv").mkdir()  # a folder where the file goes: its write fails
    with pytest.raises(StorageError):
        night(engine, tmp_path, ENTRY)
    assert night(engine, tmp_path, following).new_probations == 0


def _offer(engine, seller_id: int) -> None:
    with Session(engine) as session, session.begin():
        session.add(Offer(seller_id=seller_id, sku=f"S{seller_id}", title="t", category="livres",
                          price=Decimal("10.00")))


def _export(engine) -> dict[str, dict[str, str]]:
    out = io.StringIO()
    export_offers(engine, out)
    return {row["seller_id"]: row for row in csv.DictReader(io.StringIO(out.getvalue()))}


def test_trial_limit_reached_by_revenue_unpublishes_offers(engine, tmp_path):
    day = date(2026, 11, 21)
    # seller 1: limit 100.00 €; 3 accepted orders of 30.00 + 4.90 delivery = 104.70 € ≥ 100.00
    # seller 2: limit 110.00 €; the same orders, 104.70 < 110.00 → not reached
    for seller_id, limit in ((1, "100.00"), (2, "110.00")):
        seller(engine, seller_id, activated=date(2026, 11, 1), trial_max_revenue=Decimal(limit))
        _offer(engine, seller_id)
        orders(engine, [{"order_id": f"T{seller_id}-{n}", "seller_id": seller_id,
                         "ordered_at": paris("2026-11-10 10:00"), "accepted_at": paris("2026-11-10 11:00"),
                         "amount": Decimal("30.00"), "shipping_amount": Decimal("4.90")}
                        for n in range(3)])
    report = night(engine, tmp_path, day)
    assert report.trial_limits_reached == 1
    assert stored(engine, day, 1)["status"] == "trial_limit_reached"
    assert stored(engine, day, 1)["trial_revenue"] == Decimal("104.70")
    assert stored(engine, day, 2)["status"] == "active"
    exported = _export(engine)
    assert (exported["1"]["published"], exported["2"]["published"]) == ("false", "true")
    # ops lift the limit in the registry: the offers are back at once, not after the next night
    with engine.begin() as connection:
        connection.execute(text("UPDATE sellers SET trial_max_revenue = NULL WHERE seller_id = 1"))
    assert _export(engine)["1"]["published"] == "true"


def test_probation_does_not_unpublish_and_top_seller_is_exported(engine, tmp_path):
    day = date(2026, 11, 21)
    seller(engine, 1)
    seller(engine, 2)
    seller(engine, 3, status="vacation")
    for seller_id in (1, 2, 3):
        _offer(engine, seller_id)
    orders(engine, _refused(1, 10) + perfect_orders(2, 100, paris("2026-10-01 08:00"))
           + perfect_orders(3, 100, paris("2026-10-01 08:00")))
    night(engine, tmp_path, day)
    exported = _export(engine)
    assert stored(engine, day, 1)["status"] == "probation"
    assert exported["1"]["published"] == "true"  # probation does not unpublish
    assert (exported["2"]["top_seller"], exported["1"]["top_seller"]) == ("true", "false")
    # vacation: offers unpublished by the registry status, indicators still computed
    assert exported["3"]["published"] == "false"
    assert stored(engine, day, 3)["order_count"] == 100


def test_a_status_change_says_why_in_french_then_english():
    """Sellers read it in their workbook: the seller guide's words first."""
    trial = trial_reason(pd.Series({"trial_orders": 12, "trial_max_orders": 10,
                                    "trial_revenue_cents": 150_000, "trial_max_revenue": 100_000}))
    assert trial == ("12 commandes acceptées ≥ limite 10; chiffre d'affaires 1500,00 € ≥ limite"
                     " 1000,00 €", "12 accepted orders ≥ limit 10; revenue 1500.00 € ≥ limit 1000.00 €")
    assert next_status("active", None, [], trial, ENTRY, 14).change.startswith(
        "active → trial_limit_reached : limite d'essai atteinte : 12 commandes acceptées")
    one = trial_reason(pd.Series({"trial_orders": 1, "trial_max_orders": 1,
                                  "trial_max_revenue": None, "trial_revenue_cents": 0}))
    assert one == ("1 commande acceptée ≥ limite 1", "1 accepted order ≥ limit 1")
    none = trial_reason(pd.Series({"trial_orders": 0, "trial_max_orders": 0,
                                   "trial_max_revenue": None, "trial_revenue_cents": 0}))
    assert none == ("0 commande acceptée ≥ limite 0", "0 accepted orders ≥ limit 0")
    back = next_status("probation", ENTRY, [], None, ENTRY + timedelta(days=3), 14)
    assert (back.status, back.change) == (
        "active", "probation → active : de nouveau dans tous les seuils / back within every threshold")


def test_a_probation_that_starts_under_a_trial_limit_starts_when_the_limit_is_lifted():
    """Past a threshold from the 3rd under a trial limit lifted on the 20th, the seller went
    from the limit straight to a proposed deactivation, never shown the 14 days to correct."""
    breach = [("réclamations 50,0 %", "claims 50.0 %")]
    trial = ("10 commandes acceptées ≥ limite 10", "10 accepted orders ≥ limit 10")
    under = next_status("trial_limit_reached", None, breach, trial, date(2026, 11, 3), 14)
    assert (under.status, under.probation_since, under.change) == ("trial_limit_reached", None, "")
    lifted = next_status("trial_limit_reached", None, breach, None, date(2026, 11, 20), 14)
    assert (lifted.status, lifted.probation_since) == ("probation", date(2026, 11, 20))
    assert lifted.change.startswith("trial_limit_reached → probation : limite d'essai levée")
    # a probation shown before the limit keeps its clock under it
    shown = next_status("trial_limit_reached", date(2026, 11, 1), breach, None, date(2026, 11, 20), 14)
    assert (shown.status, shown.probation_since) == ("deactivation_proposed", date(2026, 11, 1))


def test_gaining_and_losing_top_seller_is_recorded_like_a_status_change(engine, tmp_path):
    """Seed 004 calls Top Seller a status, and quality.md wants every status change in the
    history: the night a seller gains it, and the night one criterion fails."""
    seller(engine, 1)
    orders(engine, perfect_orders(1, 100, paris("2026-10-01 08:00")))
    gained, lost = date(2026, 11, 21), date(2026, 11, 25)
    night(engine, tmp_path, gained)
    orders(engine, [{"order_id": f"R{n}", "seller_id": 1, "ordered_at": paris("2026-11-23 10:00"),
                     "refused_at": paris("2026-11-23 11:00")} for n in range(10)])
    night(engine, tmp_path, lost)  # acceptance 100 / 110 = 90.9 % < 95 %, not past 85 %
    with Session(engine) as session:
        changes = session.execute(
            select(QualityStatusChange.report_date, QualityStatusChange.from_status,
                   QualityStatusChange.to_status, QualityStatusChange.reason)
            .order_by(QualityStatusChange.report_date)).all()
    assert [tuple(change)[:3] for change in changes] == [
        (gained, "not_top_seller", "top_seller"), (lost, "top_seller", "not_top_seller")]
    assert changes[1].reason.startswith("Top Vendeur perdu : acceptation 90,9 %")
    path = tmp_path / "store" / "outbox" / "quality" / lost.isoformat() / "indicators.csv"
    row = next(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert (row["status"], row["status_change"], row["top_seller_change"]) == ("active", "", "lost")
