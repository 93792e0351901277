"""Quality indicators computed from orders, on SQLite and PostgreSQL, checked by hand.

Report date D = Saturday 2026-11-21 unless said: window 2026-05-22 .. 2026-11-21 (Paris dates),
i.e. [2026-05-21 22:00 UTC, 2026-11-21 23:00 UTC).
"""

from __future__ import annotations

from datetime import date, timedelta

from tests.test_quality_data import csv_rows, night, orders, paris, perfect_orders, seller, stored

D = date(2026, 11, 21)


def test_acceptance_counts_refused_and_expired_and_leaves_out_orders_within_deadline(engine, tmp_path):
    seller(engine, 1)
    orders(engine, [
        # accepted 1 h after the order: accepted
        {"order_id": "A", "seller_id": 1, "ordered_at": paris("2026-11-16 10:00"),
         "accepted_at": paris("2026-11-16 11:00")},
        # refused in time: refused
        {"order_id": "R", "seller_id": 1, "ordered_at": paris("2026-11-16 10:00"),
         "refused_at": paris("2026-11-16 12:00")},
        # Wednesday 18 10:00, no decision: deadline Friday 20 10:00 < end of D → expired, overdue
        {"order_id": "E", "seller_id": 1, "ordered_at": paris("2026-11-18 10:00")},
        # Monday 16 10:00, accepted Thursday 19: deadline Wednesday 18 10:00 passed → expired
        {"order_id": "L", "seller_id": 1, "ordered_at": paris("2026-11-16 10:00"),
         "accepted_at": paris("2026-11-19 09:00")},
        # Friday 20 15:00, no decision: deadline Tuesday 24 15:00 after D → left out
        {"order_id": "W", "seller_id": 1, "ordered_at": paris("2026-11-20 15:00")},
    ])
    report = night(engine, tmp_path, D)
    row = stored(engine, D, 1)
    # accepted in time = A; decided or expired = A, R, E, L → 1 / 4
    assert (row["acceptance_num"], row["acceptance_den"]) == (1, 4)
    assert report.overdue_orders == 1  # E only: L has a (late) decision, W is within deadline


def test_order_before_easter_monday_expires_on_wednesday(engine, tmp_path):
    seller(engine, 1)
    # Friday 2027-03-26 10:30, no decision: deadline Wednesday 31 March 10:30 (Monday 29 is Easter
    # Monday) → on D = Tuesday 30 still within its deadline, on D = Wednesday 31 expired.
    orders(engine, [{"order_id": "X", "seller_id": 1, "ordered_at": paris("2027-03-26 10:30")}])
    night(engine, tmp_path, date(2027, 3, 30))
    night(engine, tmp_path, date(2027, 3, 31))
    assert stored(engine, date(2027, 3, 30), 1)["acceptance_den"] == 0
    assert (stored(engine, date(2027, 3, 31), 1)["acceptance_num"],
            stored(engine, date(2027, 3, 31), 1)["acceptance_den"]) == (0, 1)


def test_tracking_rate_leaves_out_digital_and_standard_shipping(engine, tmp_path):
    seller(engine, 1)
    base = {"seller_id": 1, "ordered_at": paris("2026-11-02 10:00"),
            "accepted_at": paris("2026-11-02 11:00"), "shipped_at": paris("2026-11-03 10:00")}
    orders(engine, [
        base | {"order_id": "T1", "delivery": "tracked", "tracking_number": "6A1"},
        base | {"order_id": "T2", "delivery": "tracked"},  # no tracking number
        base | {"order_id": "D1", "delivery": "digital"},  # left out
        base | {"order_id": "S1", "delivery": "standard"},  # normal shipping: left out
    ])
    night(engine, tmp_path, D)
    row = stored(engine, D, 1)
    assert (row["tracking_num"], row["tracking_den"]) == (1, 2)  # T1 / (T1, T2)


def test_late_by_one_minute_after_midnight_paris(engine, tmp_path):
    seller(engine, 1)
    base = {"seller_id": 1, "ordered_at": paris("2026-11-02 10:00"),
            "accepted_at": paris("2026-11-02 11:00"), "estimated_delivery_at": paris("2026-11-10 18:00")}
    orders(engine, [
        # 2026-11-11 00:01 Paris = 2026-11-10 23:01 UTC: same UTC day, but the next Paris day → late
        base | {"order_id": "LATE", "delivered_at": paris("2026-11-11 00:01")},
        # 2026-11-10 23:59 Paris: the estimated day itself → on time
        base | {"order_id": "OK", "delivered_at": paris("2026-11-10 23:59")},
    ])
    night(engine, tmp_path, D)
    row = stored(engine, D, 1)
    assert (row["late_num"], row["late_den"]) == (1, 2)


def test_unanswered_question_counts_with_its_age_at_the_end_of_d(engine, tmp_path):
    seller(engine, 1)
    orders(engine, [
        # asked 2026-11-21 12:00, unanswered: age at the end of D (22 Nov 00:00 Paris) = 12 h
        {"order_id": "Q1", "seller_id": 1, "ordered_at": paris("2026-11-21 11:00"),
         "question_at": paris("2026-11-21 12:00")},
        # answered after 6 h
        {"order_id": "Q2", "seller_id": 1, "ordered_at": paris("2026-11-20 09:00"),
         "question_at": paris("2026-11-20 10:00"), "answered_at": paris("2026-11-20 16:00")},
        # answered after D (the 23rd): unanswered at the end of D, 2 h old (22:00 → 24:00)
        {"order_id": "Q3", "seller_id": 1, "ordered_at": paris("2026-11-21 21:00"),
         "question_at": paris("2026-11-21 22:00"), "answered_at": paris("2026-11-23 08:00")},
    ])
    night(engine, tmp_path, D)
    row = stored(engine, D, 1)
    # (12 + 6 + 2) h = 20 h = 72,000 s over 3 questions; 2 unanswered
    assert (row["response_seconds"], row["response_den"], row["response_unanswered"]) == (72_000, 3, 2)


def test_an_order_placed_long_before_the_window_counts_by_its_events_in_it(engine, tmp_path):
    """A pre-order, or an order rated or questioned months later, counts by the date of each
    event: it was placed in February (nine months before D), everything else happened in June."""
    seller(engine, 1)
    orders(engine, [{
        "order_id": "OLD", "seller_id": 1, "ordered_at": paris("2026-02-18 09:00"),
        "accepted_at": paris("2026-06-01 10:00"), "shipped_at": paris("2026-06-10 09:00"),
        "delivery": "tracked", "estimated_delivery_at": paris("2026-06-12 18:00"),
        "delivered_at": paris("2026-06-15 10:00"), "question_at": paris("2026-06-01 12:00"),
        "answered_at": paris("2026-06-01 14:00"), "rated_at": paris("2026-06-20 10:00"),
        "rating_delivery_place": 1, "rating_on_time": 1, "rating_care": 1,
        "rating_conformity": 1, "rating_packaging": 1,
    }])
    night(engine, tmp_path, D)
    row = stored(engine, D, 1)
    assert (row["claim_den"], row["tracking_den"], row["late_num"], row["late_den"]) == (1, 1, 1, 1)
    assert (row["rating_den"], row["response_den"], row["response_seconds"]) == (1, 1, 7_200)
    assert row["acceptance_den"] == 0  # placed before the window: not in its acceptance rate


def test_ten_orders_are_enough_data_nine_are_not(engine, tmp_path):
    seller(engine, 1)
    seller(engine, 2)
    rows = []
    for seller_id, count in ((1, 10), (2, 9)):
        for n in range(count):
            rows.append({"order_id": f"{seller_id}-{n}", "seller_id": seller_id,
                         "ordered_at": paris("2026-11-02 10:00"), "accepted_at": paris("2026-11-02 11:00"),
                         "claim_opened_at": paris("2026-11-05 10:00") if n == 0 else None})
    orders(engine, rows)
    report = night(engine, tmp_path, D)
    table = csv_rows(tmp_path, D)
    # seller 1: 1 claim / 10 accepted = 10.0 % > 6 % → shown, and probation
    assert (table["1"]["claim_num"], table["1"]["claim_den"], table["1"]["claim_pct"]) == ("1", "10", "10.0")
    assert table["1"]["status"] == "probation"
    # seller 2: 1 / 9 = 11.1 % but not enough data: empty, no breach, no sub-score
    assert (table["2"]["claim_num"], table["2"]["claim_den"], table["2"]["claim_pct"]) == ("1", "9", "")
    assert table["2"]["status"] == "active"
    assert table["2"]["score"] == ""  # no indicator with enough data → no score
    assert report.new_probations == 1


def test_window_boundaries_in_paris_time_across_the_clock_change(engine, tmp_path):
    seller(engine, 1)
    refused = {"seller_id": 1}
    orders(engine, [
        refused | {"order_id": "before", "ordered_at": paris("2026-05-21 23:59"),
                   "refused_at": paris("2026-05-22 08:00")},
        refused | {"order_id": "first", "ordered_at": paris("2026-05-22 00:00"),  # 21 May 22:00 UTC
                   "refused_at": paris("2026-05-22 08:00")},
        refused | {"order_id": "last", "ordered_at": paris("2026-11-21 23:59"),  # 22:59 UTC
                   "refused_at": paris("2026-11-21 23:59")},
        refused | {"order_id": "after", "ordered_at": paris("2026-11-22 00:00"),  # 21 Nov 23:00 UTC
                   "refused_at": paris("2026-11-22 00:10")},
    ])
    night(engine, tmp_path, D)
    assert stored(engine, D, 1)["acceptance_den"] == 2  # "first" and "last"


def test_rating_is_the_mean_of_complete_evaluations(engine, tmp_path):
    seller(engine, 1)
    marks = {"rating_delivery_place": 5, "rating_on_time": 4, "rating_care": 5, "rating_conformity": 5}
    orders(engine, [
        {"order_id": "R1", "seller_id": 1, "ordered_at": paris("2026-11-02 10:00"),
         "accepted_at": paris("2026-11-02 11:00"), "rated_at": paris("2026-11-06 10:00"),
         **marks, "rating_packaging": 3},  # 22 points
        {"order_id": "R2", "seller_id": 1, "ordered_at": paris("2026-11-02 10:00"),
         "accepted_at": paris("2026-11-02 11:00"), "rated_at": paris("2026-11-06 10:00"),
         **marks, "rating_packaging": 5},  # 24 points
    ])
    night(engine, tmp_path, D)
    row = stored(engine, D, 1)
    # (22 + 24) / (5 × 2) = 4.6
    assert (row["rating_points"], row["rating_den"]) == (46, 2)


def test_top_seller_needs_100_orders_and_6_months(engine, tmp_path):
    # 99 vs 100 accepted orders; activated 2026-05-22 (5 months 30 days on D) vs 2026-05-21 (6).
    seller(engine, 1, activated=date(2025, 1, 1))
    seller(engine, 2, activated=date(2025, 1, 1))
    seller(engine, 3, activated=date(2026, 5, 22))
    seller(engine, 4, activated=date(2026, 5, 21))
    first = paris("2026-10-01 08:00")
    orders(engine, perfect_orders(1, 99, first) + perfect_orders(2, 100, first)
           + perfect_orders(3, 100, first) + perfect_orders(4, 100, first))
    report = night(engine, tmp_path, D)
    table = csv_rows(tmp_path, D)
    assert table["1"]["top_seller"] == "false"
    assert table["1"]["top_seller_missing"] == "commandes 99 : 1 de moins que requis / orders 99: 1 short"
    assert (table["2"]["top_seller"], table["2"]["top_seller_missing"]) == ("true", "")
    assert table["3"]["seniority_months"] == "5"
    assert table["3"]["top_seller_missing"] == (
        "ancienneté 5 mois : 1 mois de moins que requis / seniority 5 months: 1 month short")
    assert (table["4"]["seniority_months"], table["4"]["top_seller"]) == ("6", "true")
    # every perfect figure scores 5: rating 5 ≥ 4.7, rates 100 % / 0 %, response 1 h ≤ 48 h
    assert table["2"]["score"] == "5.0"
    assert report.top_sellers == 2


def test_not_enough_data_does_not_fail_top_seller(engine, tmp_path):
    # quality.md: a rate with not enough data "neither breaches a threshold nor counts toward a
    # score". A training seller's digital orders have no estimated delivery (no late rate ever),
    # few are rated and nobody asks questions: seller 1 is Top Seller on acceptance, claims,
    # refunds, volume and seniority. Seller 2, the same with 5 ratings of 5/5 (not enough data
    # for a score, and meeting the bound: five of 1/5 fail Top Seller, test_quality_breaches) and
    # 3 refusals out of 103 (97.1 %, enough data and above 95 %), is too; seller 3's acceptance
    # of 94.3 % (100 / 106) fails on data that is enough.
    for seller_id in (1, 2, 3):
        seller(engine, seller_id, activated=date(2025, 1, 1))
    first = paris("2026-10-01 08:00")
    rows = []
    for seller_id, refused in ((1, 0), (2, 3), (3, 6)):
        for n in range(100):
            at = first + timedelta(hours=n)
            row = {"order_id": f"{seller_id}-{n:04d}", "seller_id": seller_id, "ordered_at": at,
                   "accepted_at": at + timedelta(minutes=5), "delivery": "digital",
                   "delivered_at": at + timedelta(minutes=6)}
            if seller_id == 2 and n < 5:
                row |= {"rated_at": at + timedelta(days=1), "rating_delivery_place": 5,
                        "rating_on_time": 5, "rating_care": 5, "rating_conformity": 5,
                        "rating_packaging": 5}
            rows.append(row)
        rows += [{"order_id": f"{seller_id}-R{n}", "seller_id": seller_id,
                  "ordered_at": first + timedelta(hours=n),
                  "refused_at": first + timedelta(hours=n, minutes=5)} for n in range(refused)]
    orders(engine, rows)
    report = night(engine, tmp_path, D)
    table = csv_rows(tmp_path, D)
    one = table["1"]
    assert (one["late_den"], one["average_rating"], one["response_hours"]) == ("0", "", "")
    assert (table["1"]["top_seller"], table["1"]["top_seller_missing"]) == ("true", "")
    assert (table["2"]["acceptance_pct"], table["2"]["top_seller"]) == ("97.1", "true")
    assert table["3"]["top_seller"] == "false"
    assert table["3"]["top_seller_missing"] == (
        "acceptation 94,3 % : 0,7 point de moins que requis / acceptance 94.3 %: 0.7 points short")
    assert report.top_sellers == 2


def test_acceptance_shortfall_is_said_in_points(engine, tmp_path):
    seller(engine, 1)
    first = paris("2026-10-01 08:00")
    rows = perfect_orders(1, 121, first)  # + 9 refused: 121 / 130 = 93.077 % → 93.1 %
    rows += [{"order_id": f"REF-{n}", "seller_id": 1, "ordered_at": first + timedelta(hours=n),
              "refused_at": first + timedelta(hours=n, minutes=5)} for n in range(9)]
    orders(engine, rows)
    night(engine, tmp_path, D)
    table = csv_rows(tmp_path, D)
    assert table["1"]["acceptance_pct"] == "93.1"
    # 95 − 93.1 = 1.9 points short
    assert table["1"]["top_seller_missing"] == (  # French first: sellers read it
        "acceptation 93,1 % : 1,9 point de moins que requis / acceptance 93.1 %: 1.9 points short")
