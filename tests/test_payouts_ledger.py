"""Booking rules of the payout ledger (payouts.md), on SQLite and PostgreSQL, hand-computed."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text as sa_text

from tests.test_payouts_support import add_offer, add_order, add_seller, entries, paris, run


def test_subscription_vat_on_39_99(engine, tmp_path):
    add_seller(engine, 1)
    run(engine, tmp_path, "2026-10", close=False)
    # 39.99 × 20 % = 7.998 → 8.00 (half-up); 39.99 + 8.00 = 47.99
    assert entries(engine, 1) == [("2026-10", "SUBSCRIPTION", "2026-10", -4799, -800)]


def test_commission_15_percent_on_33_33(engine, tmp_path):
    add_seller(engine, 1)
    add_offer(engine, 1, "A", "formation-management")  # 0.15 in categories.csv
    add_order(engine, "O1", 1, "33.33", sku="A", delivered=paris(2026, 10, 5, 12))
    run(engine, tmp_path, "2026-10", close=False)
    # 33.33 × 0.15 = 4.9995 → 5.00; VAT 5.00 × 0.20 = 1.00; entry −6.00 of which VAT −1.00
    assert entries(engine, 1)[:2] == [("2026-10", "SALE", "O1", 3333, 0),
                                      ("2026-10", "COMMISSION", "O1", -600, -100)]


def test_the_vat_of_many_equal_commissions_is_20_percent_of_their_sum(engine, tmp_path):
    """300 sales whose 1.63 commission bore 0.326 of VAT each were invoiced 99.00 of VAT on
    489.00 (20.25 %, past EN 16931's 1 € tolerance): each commission's VAT is now its share of
    the running total's, rounded once."""
    add_seller(engine, 1)
    add_offer(engine, 1, "A", "formation-management")
    for n in range(40):  # 10.87 × 0.15 = 1.6305 → 1.63; 40 × 1.63 = 65.20, VAT 13.04
        add_order(engine, f"O{n:02d}", 1, "10.87", sku="A", delivered=paris(2026, 10, 5, 12, n))
    run(engine, tmp_path, "2026-10", close=False)
    add_order(engine, "O99", 1, "10.87", sku="A", delivered=paris(2026, 10, 5, 11))  # a later draft
    run(engine, tmp_path, "2026-10", close=False)
    commissions = [e for e in entries(engine, 1) if e[1] == "COMMISSION"]
    assert len(commissions) == 41 and {vat for *_, vat in commissions} == {-32, -33}
    assert sum(amount - vat for *_, amount, vat in commissions) == -41 * 163
    assert sum(vat for *_, vat in commissions) == -1304 - 33  # 13.04, then the draft's 0.326
    # a full refund gives back the VAT its commission bore, 0.32, not 20 % of 1.63 (0.33)
    booked = {order: vat for _, kind, order, _, vat in commissions}
    refunded = next(order for order, vat in booked.items() if vat == -32)
    run(engine, tmp_path, "2026-10", close=True, now=paris(2026, 11, 1, 6))
    add_order(engine, refunded, 1, "10.87", sku="A", delivered=paris(2026, 10, 5, 12),
              refunded=paris(2026, 11, 3, 10), refund="10.87")
    run(engine, tmp_path, "2026-11", close=False, now=paris(2026, 12, 1, 6))
    [(amount, vat)] = [(e[3], e[4]) for e in entries(engine, 1) if e[1] == "COMMISSION_REFUND"]
    assert (amount, vat) == (163 + 32, 32)


def test_unknown_sku_gets_the_default_rate_and_reverse_charge_has_no_vat(engine, tmp_path):
    add_seller(engine, 1, country="BE", vat="BE0403170701")
    add_order(engine, "O1", 1, "100.00", sku="NOPE", delivered=paris(2026, 10, 5, 12))
    run(engine, tmp_path, "2026-10", close=False)
    # default_commission_rate 0.15: 100.00 × 0.15 = 15.00, no VAT (autoliquidation);
    # subscription 39.99 without VAT; the draft's decision pays 100 − 15 − 39.99 = 45.01
    assert entries(engine, 1) == [("2026-10", "SALE", "O1", 10000, 0),
                                  ("2026-10", "COMMISSION", "O1", -1500, 0),
                                  ("2026-10", "SUBSCRIPTION", "2026-10", -3999, 0),
                                  ("2026-10", "PAYOUT", "2026-10", -4501, 0)]


def test_partial_refund_of_a_three_item_order_with_its_commission_refund(engine, tmp_path):
    add_seller(engine, 1)
    add_offer(engine, 1, "A", "formation-management")
    # 3 items at 20.00 + 4.50 shipping = 64.50, delivered in October
    add_order(engine, "O1", 1, "60.00", shipping="4.50", sku="A", delivered=paris(2026, 10, 5, 12))
    run(engine, tmp_path, "2026-10", close=True)
    # one item refunded in November
    add_order(engine, "O1", 1, "60.00", shipping="4.50", sku="A", delivered=paris(2026, 10, 5, 12),
              refunded=paris(2026, 11, 3, 10), refund="20.00")
    run(engine, tmp_path, "2026-11", close=False, now=paris(2026, 12, 1, 6))
    booked = [e for e in entries(engine, 1) if e[2].startswith("O1")]
    # commission 64.50 × 0.15 = 9.675 → 9.68, VAT 1.936 → 1.94: −11.62
    # refunded share 20.00 / 64.50: 9.68 × 20 / 64.5 = 3.0015… → 3.00, VAT 0.60: +3.60
    assert booked == [("2026-10", "SALE", "O1", 6450, 0),
                      ("2026-10", "COMMISSION", "O1", -1162, -194),
                      ("2026-11", "REFUND", "O1@2026-11", -2000, 0),
                      ("2026-11", "COMMISSION_REFUND", "O1@2026-11", 360, 60)]



def test_successive_partial_refunds_give_back_exactly_the_commission(engine, tmp_path):
    add_seller(engine, 1)
    add_offer(engine, 1, "F", "formation-management")
    for month, now, refunded, refund in (("2026-10", paris(2026, 11, 1, 6), paris(2026, 10, 5, 12), "0.10"),
                                         ("2026-11", paris(2026, 12, 1, 6), paris(2026, 11, 5, 12), "0.20"),
                                         ("2026-12", paris(2027, 1, 1, 6), paris(2026, 12, 5, 12), "100.00")):
        add_order(engine, "R1", 1, "100.00", sku="F", delivered=paris(2026, 10, 2, 12),
                  refunded=refunded, refund=refund)
        run(engine, tmp_path, month, close=True, now=now)
    booked = [e for e in entries(engine, 1) if e[1] == "COMMISSION_REFUND"]
    # commission 15.00 + 3.00 VAT; refunded share so far 0.10 %, 0.20 %, 100 %:
    # 0.015 → 0.02 (VAT 0.004 → 0); 0.03 − 0.02 = 0.01 (VAT 0.006 → 0.01); 15.00 − 0.03 = 14.97
    # (VAT 3.00 − 0.01 = 2.99): 15.00 and 3.00 in all, not 15.01 and 2.99 (each share rounded alone)
    assert booked == [("2026-10", "COMMISSION_REFUND", "R1@2026-10", 2, 0),
                      ("2026-11", "COMMISSION_REFUND", "R1@2026-11", 2, 1),
                      ("2026-12", "COMMISSION_REFUND", "R1@2026-12", 1796, 299)]
    assert sum(e[3] - e[4] for e in booked) == 1500 and sum(e[4] for e in booked) == 300

def test_the_commission_refund_is_a_share_of_the_order_s_amount_now(engine, tmp_path):
    """Sold at 100.00 in a closed month, raised to 150.00 by a later export (booked nowhere:
    ops adjust), then refunded: 150.00 refunded gave back 150/100 of the 15.00 commission."""
    add_seller(engine, 1)
    add_offer(engine, 1, "F", "formation-management")
    add_order(engine, "R1", 1, "100.00", sku="F", delivered=paris(2026, 10, 2, 12))
    add_order(engine, "R2", 1, "100.00", sku="F", delivered=paris(2026, 10, 2, 12))
    run(engine, tmp_path, "2026-10", close=True, now=paris(2026, 11, 1, 6))
    add_order(engine, "R1", 1, "150.00", sku="F", delivered=paris(2026, 10, 2, 12),
              refunded=paris(2026, 11, 5, 12), refund="150.00")
    add_order(engine, "R2", 1, "150.00", sku="F", delivered=paris(2026, 10, 2, 12),
              refunded=paris(2026, 11, 5, 12), refund="120.00")
    run(engine, tmp_path, "2026-11", close=True, now=paris(2026, 12, 1, 6))
    booked = [(e[2], e[3], e[4]) for e in entries(engine, 1) if e[1] == "COMMISSION_REFUND"]
    # commission 15.00 + 3.00 VAT: all of it for R1; 120/150 = 80 % for R2: 12.00 + 2.40
    assert booked == [("R1@2026-11", 1800, 300), ("R2@2026-11", 1440, 240)]


def test_goodwill_at_exactly_25_percent_and_over(engine, tmp_path):
    add_seller(engine, 1)
    add_order(engine, "G1", 1, "40.00", goodwill="10.00", goodwill_at=paris(2026, 10, 6, 9))
    add_order(engine, "G2", 1, "40.00", goodwill="10.01", goodwill_at=paris(2026, 10, 6, 9))
    run(engine, tmp_path, "2026-10", close=False)
    goodwill = [e for e in entries(engine, 1) if e[1] == "GOODWILL"]
    # 25 % of 40.00 = 10.00: booked as is; 10.01 is over 25 %: capped at 10.00
    assert goodwill == [("2026-10", "GOODWILL", "G1@2026-10", -1000, 0),
                        ("2026-10", "GOODWILL", "G2@2026-10", -1000, 0)]


def test_a_refund_corrected_down_then_up_again_ends_at_the_feed_s_amount(engine, tmp_path):
    """40 → 30 → 40: the third state was already a key (order@cents) and booked nothing, so
    the seller kept 10.00 the customer got back; a refund a later export clears is given back."""
    add_seller(engine, 1)
    add_offer(engine, 1, "F", "formation-management")
    months = (("2026-10", paris(2026, 11, 1, 6), "40.00"), ("2026-11", paris(2026, 12, 1, 6), "30.00"),
              ("2026-12", paris(2027, 1, 1, 6), "40.00"), ("2027-01", paris(2027, 2, 1, 6), None))
    for month, now, refund in months:
        add_order(engine, "R1", 1, "100.00", sku="F", delivered=paris(2026, 10, 2, 12),
                  refunded=paris(2026, 10, 5, 12) if refund else None, refund=refund)
        run(engine, tmp_path, month, close=True, now=now)
    refunds = [(e[0], e[1], e[3], e[4]) for e in entries(engine, 1)
               if e[1] in ("REFUND", "COMMISSION_REFUND")]
    # commission 15.00 + 3.00 VAT; 40 % of it is 6.00 + 1.20, 30 % 4.50 + 0.90
    assert refunds == [("2026-10", "REFUND", -4000, 0), ("2026-10", "COMMISSION_REFUND", 720, 120),
                       ("2026-11", "REFUND", 1000, 0), ("2026-11", "COMMISSION_REFUND", -180, -30),
                       ("2026-12", "REFUND", -1000, 0), ("2026-12", "COMMISSION_REFUND", 180, 30),
                       ("2027-01", "REFUND", 4000, 0), ("2027-01", "COMMISSION_REFUND", -720, -120)]


def test_a_goodwill_changed_by_a_later_export_books_the_difference(engine, tmp_path):
    """G1 5.00 → 20.00 and G2 20.00 → 5.00 in October's export: booked once per order, they
    kept their September amounts (the seller under- and over-charged 15.00); G3 cleared."""
    add_seller(engine, 1)
    for order, goodwill in (("G1", "5.00"), ("G2", "20.00"), ("G3", "8.00")):
        add_order(engine, order, 1, "100.00", goodwill=goodwill, goodwill_at=paris(2026, 9, 6, 9))
    run(engine, tmp_path, "2026-09", close=True, now=paris(2026, 10, 1, 6))
    for order, goodwill in (("G1", "20.00"), ("G2", "5.00"), ("G3", None)):
        add_order(engine, order, 1, "100.00", goodwill=goodwill,
                  goodwill_at=paris(2026, 10, 6, 9) if goodwill else None)
    run(engine, tmp_path, "2026-10", close=True, now=paris(2026, 11, 1, 6))
    run(engine, tmp_path, "2026-11", close=False, now=paris(2026, 12, 1, 6))  # nothing more
    goodwill = [(e[0], e[2], e[3]) for e in entries(engine, 1) if e[1] == "GOODWILL"]
    assert goodwill == [("2026-09", "G1@2026-09", -500), ("2026-09", "G2@2026-09", -2000),
                        ("2026-09", "G3@2026-09", -800), ("2026-10", "G1@2026-10", -1500),
                        ("2026-10", "G2@2026-10", 1500), ("2026-10", "G3@2026-10", 800)]


def test_activation_on_the_31st_is_one_day_pro_rata(engine, tmp_path):
    add_seller(engine, 1, activated=date(2026, 10, 31))
    run(engine, tmp_path, "2026-10", close=True)
    # 39.99 × 1/31 = 1.29 (3999 / 31 = 129.0); VAT 0.258 → 0.26; −1.55
    assert entries(engine, 1) == [("2026-10", "SUBSCRIPTION", "2026-10", -155, -26)]
    run(engine, tmp_path, "2026-11", close=False, now=paris(2026, 12, 1, 6))
    assert entries(engine, 1)[-1] == ("2026-11", "SUBSCRIPTION", "2026-11", -4799, -800)


def test_a_draft_after_open_months_books_their_fees_too(engine, tmp_path):
    """December's draft while November is open showed one subscription: November's 47.99 per
    seller was in no preview. Closing the months in order books each once."""
    add_seller(engine, 1)
    run(engine, tmp_path, "2026-10", close=True, now=paris(2026, 11, 1, 6))
    run(engine, tmp_path, "2027-01", close=False, now=paris(2027, 1, 2, 6))
    fees = [(e[0], e[2], e[3]) for e in entries(engine, 1) if e[1] == "SUBSCRIPTION"]
    assert fees == [("2026-10", "2026-10", -4799), ("2027-01", "2026-11", -4799),
                    ("2027-01", "2026-12", -4799), ("2027-01", "2027-01", -4799)]
    for month, now in (("2026-11", paris(2026, 12, 1, 6)), ("2026-12", paris(2027, 1, 1, 6))):
        run(engine, tmp_path, month, close=True, now=now)
    fees = [(e[0], e[2]) for e in entries(engine, 1) if e[1] == "SUBSCRIPTION"]
    assert fees == [("2026-10", "2026-10"), ("2026-11", "2026-11"), ("2026-12", "2026-12")]


def test_termination_requested_on_the_first_and_on_the_last_day(engine, tmp_path):
    add_seller(engine, 1, terminated=date(2026, 10, 1), status="terminated")
    add_seller(engine, 2, terminated=date(2026, 10, 31))
    run(engine, tmp_path, "2026-10", close=True)
    run(engine, tmp_path, "2026-11", close=False, now=paris(2026, 12, 1, 6))
    # October (the month the termination takes effect) in full, nothing in November
    for seller in (1, 2):
        assert [e[:2] + e[3:] for e in entries(engine, seller) if e[1] == "SUBSCRIPTION"] == [
            ("2026-10", "SUBSCRIPTION", -4799, -800)]


def test_delivery_at_2359_paris_on_the_last_day_is_in_m_and_at_midnight_in_m_plus_1(engine, tmp_path):
    add_seller(engine, 1)
    add_order(engine, "LATE", 1, "10.00", delivered=paris(2026, 10, 31, 23, 59))  # 22:59 UTC
    add_order(engine, "NEXT", 1, "10.00", delivered=paris(2026, 11, 1, 0, 0))  # 23:00 UTC on the 31st
    run(engine, tmp_path, "2026-10", close=True)
    run(engine, tmp_path, "2026-11", close=False, now=paris(2026, 12, 1, 6))
    sales = [(e[0], e[2]) for e in entries(engine, 1) if e[1] == "SALE"]
    assert sales == [("2026-10", "LATE"), ("2026-11", "NEXT")]


def test_a_replayed_order_is_not_sold_twice_and_a_late_event_goes_to_the_next_open_month(engine, tmp_path):
    add_seller(engine, 1)
    add_order(engine, "O1", 1, "10.00", delivered=paris(2026, 10, 5, 12))
    run(engine, tmp_path, "2026-10", close=True)
    # the feed replays O1 and brings an October delivery it had missed
    add_order(engine, "O1", 1, "10.00", delivered=paris(2026, 10, 5, 12))
    add_order(engine, "O2", 1, "12.00", delivered=paris(2026, 10, 20, 12))
    run(engine, tmp_path, "2026-11", close=False, now=paris(2026, 12, 1, 6))
    run(engine, tmp_path, "2026-11", close=False, now=paris(2026, 12, 1, 7))  # a draft twice
    sales = [(e[0], e[2]) for e in entries(engine, 1) if e[1] == "SALE"]
    assert sales == [("2026-10", "O1"), ("2026-11", "O2")]


def test_adjustments_file_is_booked_with_its_reason(engine, tmp_path):
    add_seller(engine, 1)
    folder = tmp_path / "store" / "ops" / "adjustments"
    folder.mkdir(parents=True)
    (folder / "2026-10.csv").write_text("seller_id;amount;reason\n1;12,50;geste ops\n1;-2.00;frais\n")
    run(engine, tmp_path, "2026-10", close=True, now=paris(2026, 11, 1, 6))
    adjustments = [(e[1], e[3]) for e in entries(engine, 1) if e[1] == "ADJUSTMENT"]
    assert adjustments == [("ADJUSTMENT", 1250), ("ADJUSTMENT", -200)]
    with engine.connect() as connection:  # dated in the month the statement covers, not at the close
        dated = connection.execute(sa_text("SELECT DISTINCT occurred_at FROM ledger_entries"
                                           " WHERE entry_type = 'ADJUSTMENT'")).scalars().all()
    assert [str(at)[:19] for at in dated] == ["2026-10-31 22:59:59"]


def test_the_same_adjustments_file_in_two_months_is_booked_in_each(engine, tmp_path):
    """A recurring correction: October's file, byte for byte September's, had the same keys
    (file sha:row) and was skipped without a word."""
    add_seller(engine, 1)
    folder = tmp_path / "store" / "ops" / "adjustments"
    folder.mkdir(parents=True)
    for month, now in (("2026-09", paris(2026, 10, 1, 6)), ("2026-10", paris(2026, 11, 1, 6))):
        (folder / f"{month}.csv").write_text("seller_id,amount,reason\n1,-10.00,stockage\n")
        run(engine, tmp_path, month, close=True, now=now)
    adjustments = [(e[0], e[3]) for e in entries(engine, 1) if e[1] == "ADJUSTMENT"]
    assert adjustments == [("2026-09", -1000), ("2026-10", -1000)]


def test_an_adjustments_file_dropped_after_its_month_closed_is_said_unbooked(engine, tmp_path):
    """A closed month is final, so the file is never booked: every run used to say nothing."""
    add_seller(engine, 1)
    folder = tmp_path / "store" / "ops" / "adjustments"
    folder.mkdir(parents=True)
    (folder / "2026-09.csv").write_text("seller_id,amount,reason\n1,-10.00,stockage\n")
    booked = run(engine, tmp_path, "2026-09", close=True, now=paris(2026, 10, 1, 6))
    assert booked.warnings == []
    (folder / "2026-09.csv").write_text("seller_id,amount,reason\n1,-12.00,stockage\n")
    (folder / "2026-10.csv").write_text("seller_id,amount,reason\n1,-3.00,frais\n")
    october = run(engine, tmp_path, "2026-10", close=True, now=paris(2026, 11, 1, 6))
    reissued = run(engine, tmp_path, "2026-09", close=True, now=paris(2026, 11, 1, 7))
    for result in (october, reissued):
        assert [w.split(" : ")[0] for w in result.warnings] == ["ops/adjustments/2026-09.csv"]
        assert "rien n'en est comptabilisé" in result.warnings[0]
        assert result.as_json()["warnings"] == result.warnings
    assert [(e[0], e[3]) for e in entries(engine, 1) if e[1] == "ADJUSTMENT"] == [
        ("2026-09", -1000), ("2026-10", -300)]


def test_a_statement_lists_entries_of_one_instant_by_order_the_same_on_both_databases(engine):
    """By id, two orders delivered the same minute came in PostgreSQL's insertion order:
    their lines, and the running balance between them, differed from SQLite's."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from reports.payout_lines import month_entries

    at = paris(2026, 10, 5, 12).replace(tzinfo=None)
    with engine.begin() as connection:
        for order, kind, amount in (("Q-2", "COMMISSION", -150), ("Q-1", "COMMISSION", -120),
                                    ("Q-2", "SALE", 1000), ("Q-1", "SALE", 800)):
            connection.execute(text(
                "INSERT INTO ledger_entries (seller_id, month, entry_type, occurred_at, order_id,"
                " reference, amount, vat, text) VALUES (1, '2026-10', :k, :at, :o, :o, :a, 0, 'x')"),
                {"k": kind, "at": at, "o": order, "a": amount})
    with Session(engine) as session:
        listed = month_entries(session, "2026-10")
    assert list(zip(listed["order_id"], listed["entry_type"], strict=True)) == [
        ("Q-1", "SALE"), ("Q-1", "COMMISSION"), ("Q-2", "SALE"), ("Q-2", "COMMISSION")]


def test_a_seller_registered_after_its_activation_month_closed_is_charged_it_once_later(engine, tmp_path):
    add_seller(engine, 1)
    run(engine, tmp_path, "2026-10", close=True)
    # the registry row of seller 2, activated on 15 October, arrives after October closed
    add_seller(engine, 2, activated=date(2026, 10, 15))
    run(engine, tmp_path, "2026-11", close=False, now=paris(2026, 12, 1, 6))
    run(engine, tmp_path, "2026-11", close=True, now=paris(2026, 12, 1, 7))
    run(engine, tmp_path, "2026-12", close=False, now=paris(2027, 1, 1, 6))
    # October: 39.99 × 17/31 = 21.929 → 21.93, VAT 4.386 → 4.39, −26.32, booked in November
    assert [e for e in entries(engine, 2) if e[1] == "SUBSCRIPTION"] == [
        ("2026-11", "SUBSCRIPTION", "2026-10", -2632, -439),
        ("2026-11", "SUBSCRIPTION", "2026-11", -4799, -800),
        ("2026-12", "SUBSCRIPTION", "2026-12", -4799, -800)]
    # seller 1 owed October when it closed and paid it then; nothing before the first close
    assert [e[2] for e in entries(engine, 1) if e[1] == "SUBSCRIPTION"] == [
        "2026-10", "2026-11", "2026-12"]


def _known_since(engine, seller_id: int, day: date) -> None:
    """The registry row's arrival (the tests' closes run on a past clock, the rows on today's)."""
    from datetime import UTC, datetime

    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from marketplace.models import Seller

    with Session(engine) as session, session.begin():
        session.execute(update(Seller).where(Seller.seller_id == seller_id).values(
            created_at=datetime(day.year, day.month, day.day, tzinfo=UTC)))


def test_a_change_of_plan_or_status_after_a_close_does_not_reach_back(engine, tmp_path):
    """Back-charging every closed month was meant for a seller unknown at the close: an upgrade
    to premium charged premium for October and November, a pending seller activated since was
    charged the months it was pending."""
    from sqlalchemy import text

    add_seller(engine, 1)
    add_seller(engine, 2, status="pending", activated=date(2026, 9, 1))
    for seller in (1, 2):
        _known_since(engine, seller, date(2026, 10, 1))
    run(engine, tmp_path, "2026-10", close=True)
    run(engine, tmp_path, "2026-11", close=True, now=paris(2026, 12, 1, 6))
    with engine.begin() as connection:
        connection.execute(text("UPDATE sellers SET plan = 'premium-visibilite' WHERE seller_id = 1"))
        connection.execute(text("UPDATE sellers SET status = 'active' WHERE seller_id = 2"))
    run(engine, tmp_path, "2026-12", close=False, now=paris(2027, 1, 1, 6))
    assert [e[1:3] for e in entries(engine, 1) if e[1] in ("SUBSCRIPTION", "PREMIUM")] == [
        ("SUBSCRIPTION", "2026-10"), ("SUBSCRIPTION", "2026-11"), ("SUBSCRIPTION", "2026-12"),
        ("PREMIUM", "2026-12")]
    assert [e[1:3] for e in entries(engine, 2) if e[1] == "SUBSCRIPTION"] == [
        ("SUBSCRIPTION", "2026-12")]
