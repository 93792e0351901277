"""The order activity feed: typing and rules on small frames, then the upsert on both databases.

Frames are built as the reader hands them over: index = Excel row numbers from 2, columns =
header positions, every cell a `str`. Amounts are compared in cents, instants in UTC.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from loaders.ingest import Ingestor, IngestRequest
from loaders.orders import ORDERS_FEED
from loaders.sellers import SELLERS_FEED
from marketplace.cli import app
from marketplace.config import SAMPLES_DIR, Settings
from marketplace.errors import Problem, Reason, Severity
from marketplace.layout import export_date_of
from marketplace.models import Offer, Order
from marketplace.storage import open_storage
from schemas.columns import map_headers
from schemas.feed import FeedContext, Validated
from schemas.orders import MAX_AMOUNT_CENTS, ORDER_COLUMNS
from tests.helpers import add_seller

REFERENCE = Path(__file__).resolve().parent.parent / "data" / "reference"


def context(name: str = "2026-11-22.csv") -> FeedContext:
    return FeedContext(kind="orders", seller_id=None, import_id=1, reference_dir=REFERENCE,
                       now=datetime.now(UTC), file_name=name)


def order(order_id: str = "A1", **extra: str) -> dict[str, str]:
    return {"order_id": order_id, "seller_id": "7", "sku": "SKU-1",
            "ordered_at": "2026-11-20T10:00:00+01:00", "amount": "100,00", **extra}


def validate(*orders: dict[str, str], ctx: FeedContext | None = None,
             first_row: int = 2) -> Validated:
    headers = list(dict.fromkeys(key for row in orders for key in row))
    frame = pd.DataFrame([[row.get(h, "") for h in headers] for row in orders],
                         index=range(first_row, first_row + len(orders)),
                         columns=range(len(headers)), dtype="str")
    return ORDERS_FEED.validate(frame, map_headers(headers, ORDER_COLUMNS), ctx or context())


def codes(problems: list[Problem]) -> set[tuple[int | None, str | None, Reason]]:
    return {(p.row, p.column, p.code) for p in problems}


def utc(*parts: int) -> pd.Timestamp:
    return pd.Timestamp(datetime(*parts, tzinfo=UTC))


# -- headers and typing ---------------------------------------------------------------------------


def test_no_header_text_names_two_fields():
    keys = [spec.header_keys() for spec in ORDER_COLUMNS]
    assert sum(map(len, keys)) == len(set().union(*keys))


def test_french_headers_map_to_fields():
    headers = ["N° de commande", "Vendeur", "Référence", "Date de commande", "Montant",
               "Frais de port", "Acceptée le", "Transporteur", "Note emballage"]
    assert list(map_headers(headers, ORDER_COLUMNS).positions) == [
        "order_id", "seller_id", "sku", "ordered_at", "amount", "shipping_amount", "accepted_at",
        "carrier", "rating_packaging"]


def test_only_the_required_columns_give_an_order_with_no_events():
    result = validate(order())
    assert result.problems == []
    row = result.valid.loc[2]
    # 100,00 € = 10 000 cents; 10:00 at +01:00 = 09:00 UTC
    assert (row["order_id"], row["seller_id"], row["amount"], row["ordered_at"]) == (
        "A1", 7, 10_000, utc(2026, 11, 20, 9))
    assert row[["shipping_amount", "refund_amount", "accepted_at", "delivered_at",
                "rating_care", "delivery", "claim_reason"]].isna().all()


def test_a_missing_required_column_rejects_the_file():
    from marketplace.errors import FileRejected

    with pytest.raises(FileRejected) as rejected:
        map_headers(["order_id", "seller_id", "sku", "ordered_at"], ORDER_COLUMNS)
    assert (rejected.value.problem.code, rejected.value.problem.column) == (
        Reason.MISSING_COLUMN, "amount")


@pytest.mark.parametrize(("written", "expected"), [
    ("2026-07-14 10:00", utc(2026, 7, 14, 8)),  # Paris summer time is UTC+2
    ("2026-01-14 10:00", utc(2026, 1, 14, 9)),  # Paris winter time is UTC+1
    ("14/07/2026 10:00", utc(2026, 7, 14, 8)),  # French day-first, local time
    ("22/11/2026 14:05", utc(2026, 11, 22, 13, 5)),
    ("2026-07-14T10:00:00+02:00", utc(2026, 7, 14, 8)),  # an offset wins over Paris time
    ("2026-07-14T10:00:00-04:00", utc(2026, 7, 14, 14)),  # 10:00 at -04:00 = 14:00 UTC
    ("2026-01-14T10:00:00Z", utc(2026, 1, 14, 10)),
])
def test_date_times_with_an_offset_or_in_paris_time(written, expected):
    result = validate(order(ordered_at=written))
    assert result.valid.loc[2, "ordered_at"] == expected


def test_problems_name_the_exports_own_header_and_text():
    headers = ["N° de commande", "Vendeur", "Référence", "Date de commande", "Montant"]
    frame = pd.DataFrame([["A1", "7", "SKU-1", "2026-11-20 10:00", "douze"]], index=[5],
                         columns=range(5), dtype="str")
    [problem] = ORDERS_FEED.validate(frame, map_headers(headers, ORDER_COLUMNS), context()).problems
    assert (problem.row, problem.column, problem.value, problem.code) == (
        5, "Montant", "douze", Reason.BAD_NUMBER)
    assert problem.message_fr.startswith("« douze »") and problem.message_en.startswith('"douze"')


def test_an_order_amount_past_ten_million_euros_is_refused():
    """768 billion euros overflowed the ledger's 64-bit cents with the commission: PostgreSQL
    failed every seller's payout month, SQLite went on in floating point."""
    result = validate(order("A1", amount="10000000,00"), order("A2", amount="768614336404,56"),
                      order("A3", amount="10,00", shipping_amount="10000000,01"))
    assert codes(result.problems) == {(3, "amount", Reason.OUT_OF_RANGE),
                                      (4, "shipping_amount", Reason.OUT_OF_RANGE)}
    assert result.valid.index.tolist() == [2]


def test_identifiers_excel_wrote_in_scientific_notation_are_refused():
    result = validate(order("1,23457E+11"), order("A2", sku="3,60029E+12"),
                      order("A3", tracking_number="6.12345E+12", delivery="tracked"),
                      order("2E10", sku="12e3", tracking_number="1E5"),
                      order("-1.23456789012346E+17"))  # a negative XLSX number cell
    assert codes(result.problems) == {(2, "order_id", Reason.SCIENTIFIC_NOTATION),
                                      (3, "sku", Reason.SCIENTIFIC_NOTATION),
                                      (4, "tracking_number", Reason.SCIENTIFIC_NOTATION),
                                      (6, "order_id", Reason.SCIENTIFIC_NOTATION)}
    assert result.valid.index.tolist() == [5]  # ids that merely hold an E are ids
    problem = next(p for p in result.problems if p.row == 3)
    assert problem.value == "3,60029E+12" and "« 3,60029E+12 »" in problem.message_fr


def euros(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


@hypothesis_settings(max_examples=10, deadline=None)  # one frame per example: ~0.2 s each
@given(st.lists(st.tuples(st.integers(0, MAX_AMOUNT_CENTS - 10**6 - 1), st.integers(0, 10**6)),
                min_size=1, max_size=100))  # a refund a cent over the cap stays within the bound
def test_the_refund_cap_is_exact_to_the_cent(pairs):
    rows = [order(f"O{i}-{extra}", amount=euros(amount), shipping_amount=euros(shipping),
                  refund_amount=euros(amount + shipping + extra), **REFUNDED)
            for i, (amount, shipping) in enumerate(pairs) for extra in (0, 1)]
    result = validate(*rows)
    # rows alternate: refund = amount + shipping (accepted), then one cent more (rejected)
    assert codes(result.problems) == {(3 + 2 * i, "refund_amount", Reason.OUT_OF_RANGE)
                                      for i in range(len(pairs))}
    assert list(result.valid.index) == [2 + 2 * i for i in range(len(pairs))]


def test_amounts_with_a_decimal_point_are_read_too():
    result = validate(order(amount="1234.5", shipping_amount="4.90"))
    assert result.valid.loc[2, ["amount", "shipping_amount"]].tolist() == [123_450, 490]


# -- rules at their boundaries -----------------------------------------------------------------


REFUNDED, GRANTED = {"refunded_at": "2026-11-22 10:00"}, {"goodwill_at": "2026-11-22 10:00"}


@pytest.mark.parametrize(("extra", "ok"), [
    ({"shipping_amount": "4,90", "refund_amount": "104,90", **REFUNDED}, True),  # 100 + 4,90
    ({"shipping_amount": "4,90", "refund_amount": "104,91", **REFUNDED}, False),  # a cent more
    ({"refund_amount": "100,00", **REFUNDED}, True),  # no shipping column: the amount is the cap
    ({"refund_amount": "100,01", **REFUNDED}, False),
    ({"goodwill_amount": "25,00", **GRANTED}, True),  # 25 % of 100,00 = 25,00 exactly
    ({"goodwill_amount": "25,01", **GRANTED}, False),
])
def test_refund_and_goodwill_caps(extra, ok):
    result = validate(order(**extra))
    column = "refund_amount" if "refund_amount" in extra else "goodwill_amount"
    assert codes(result.problems) == (set() if ok else {(2, column, Reason.OUT_OF_RANGE)})
    assert len(result.valid) == (1 if ok else 0)


def test_goodwill_cap_is_exact_on_odd_cents():
    # 25 % of 0,03 € is 0,0075 €: 0,00 is allowed, 0,01 is over (4 × 1 cent > 3 cents)
    assert validate(order(amount="0,03", goodwill_amount="0,00", **GRANTED)).problems == []
    assert codes(validate(order(amount="0,03", goodwill_amount="0,01", **GRANTED)).problems) == {
        (2, "goodwill_amount", Reason.OUT_OF_RANGE)}


@pytest.mark.parametrize(("column", "written", "reason"), [
    ("customer_type", "pro", Reason.NOT_ALLOWED),
    ("delivery", "express", Reason.NOT_ALLOWED),
    ("refund_reason", "autre", Reason.NOT_ALLOWED),
    ("amount", "-1,00", Reason.OUT_OF_RANGE),
    ("shipping_amount", "-0,01", Reason.OUT_OF_RANGE),
    ("amount", "12,3456", Reason.TOO_MANY_DECIMALS),
    ("amount", "gratuit", Reason.BAD_NUMBER),
    ("seller_id", "0", Reason.OUT_OF_RANGE),
    ("seller_id", "abc", Reason.BAD_NUMBER),
    ("order_id", "X" * 65, Reason.TOO_LONG),
    ("ordered_at", "2026-13-01", Reason.BAD_DATE),
    ("ordered_at", "", Reason.REQUIRED),
    ("carrier", "C" * 65, Reason.TOO_LONG),
])
def test_each_rule_rejects_the_row_naming_the_cell(column, written, reason):
    result = validate(order(**{column: written}))
    assert codes(result.problems) == {(2, column, reason)}
    assert result.valid.empty


WHOLE_RATING = {"rated_at": "2026-11-21 10:00", "rating_delivery_place": "5", "rating_on_time": "4",
                "rating_care": "5", "rating_conformity": "3", "rating_packaging": "5"}


@pytest.mark.parametrize("left_out", ["rated_at", "rating_on_time", "rating_packaging"])
def test_an_incomplete_evaluation_loads_with_a_warning_on_its_first_empty_cell(left_out):
    """The average counts whole evaluations only: one missing its date or an aspect was
    loaded without a word and silently left out of the seller's rating."""
    rating = {**WHOLE_RATING, left_out: ""}
    if left_out == "rating_on_time":
        rating["rating_conformity"] = ""  # two empty: one warning, on the first
    result = validate(order(accepted_at="2026-11-20 11:00", **rating),
                      order("A2", accepted_at="2026-11-20 11:00"))
    (warning,) = result.problems
    assert (warning.row, warning.column, warning.code, warning.severity) == (
        2, left_out, Reason.ORDER_STATE, Severity.WARNING)
    assert "ne compte pas dans la note moyenne" in warning.message_fr
    assert list(result.valid.index) == [2, 3]


def test_an_answer_before_the_question_is_said_as_such():
    result = validate(order(question_at="2026-11-21 10:00", answered_at="2026-11-21 09:00"))
    (problem,) = result.problems
    assert problem.message_fr.startswith("La réponse du vendeur « 2026-11-21 09:00 » est antérieure à"
                                         " la question du client")


@pytest.mark.parametrize(("rating", "ok"), [("1", True), ("5", True), ("0", False),
                                            ("6", False), ("4,5", False)])
def test_ratings_are_whole_numbers_from_1_to_5(rating, ok):
    result = validate(order(accepted_at="2026-11-20 11:00", **{**WHOLE_RATING, "rating_care": rating}))
    assert (result.problems == []) is ok
    if not ok:
        assert [(p.row, p.column) for p in result.problems] == [(2, "rating_care")]


def test_codes_are_read_in_any_case():
    result = validate(order(customer_type="Business", delivery="TRACKED"))
    assert result.valid.loc[2, ["customer_type", "delivery"]].tolist() == ["business", "tracked"]


def test_events_in_order_and_equal_instants_are_accepted():
    result = validate(order(ordered_at="2026-11-20 10:00", accepted_at="2026-11-20 10:00",
                            shipped_at="2026-11-20 10:00", delivered_at="2026-11-21 10:00",
                            question_at="2026-11-21 11:00", answered_at="2026-11-21 11:00"))
    assert result.problems == []


@pytest.mark.parametrize(("extra", "column"), [
    ({"accepted_at": "2026-11-20 09:59"}, "accepted_at"),  # ordered at 10:00 Paris
    ({"refused_at": "2026-11-20 09:59"}, "refused_at"),
    ({"accepted_at": "2026-11-20 11:00", "shipped_at": "2026-11-20 10:30"}, "shipped_at"),
    ({"accepted_at": "2026-11-20 11:00", "shipped_at": "2026-11-21 10:00",
      "delivered_at": "2026-11-21 09:59"}, "delivered_at"),
    ({"delivered_at": "2026-11-20 09:00"}, "delivered_at"),  # before the order, no other step
    ({"question_at": "2026-11-21 10:00", "answered_at": "2026-11-21 09:00"}, "answered_at"),
    ({"refunded_at": "2026-11-19 10:00"}, "refunded_at"),
])
def test_events_out_of_order_are_rejected(extra, column):
    result = validate(order(ordered_at="2026-11-20 10:00", **extra))
    assert codes(result.problems) == {(2, column, Reason.EVENT_ORDER)}
    assert "antérieure" in result.problems[0].message_fr and "before" in result.problems[0].message_en


def test_a_date_alone_is_its_whole_day_against_an_earlier_step():
    """Delivered "2026-11-20" after shipped at 15:00 that day was "before the shipment"."""
    result = validate(order(ordered_at="2026-11-20 10:00", accepted_at="2026-11-20",
                            shipped_at="2026-11-20 15:00", delivered_at="20/11/2026",
                            refunded_at="2026-11-20", refund_amount="5"))
    assert result.problems == []
    late = validate(order(ordered_at="2026-11-20 10:00", delivered_at="2026-11-19"))
    assert codes(late.problems) == {(2, "delivered_at", Reason.EVENT_ORDER)}
    for hour in ("20/11/2026 8h", "20/11/2026 à 8h", "2026-11-20 9h"):  # an hour, not a day
        early = validate(order(ordered_at="2026-11-20 07:00", accepted_at="2026-11-20 07:00",
                               shipped_at="2026-11-20 15:00", delivered_at=hour))
        assert codes(early.problems) == {(2, "delivered_at", Reason.EVENT_ORDER)}, hour


def test_an_offset_and_a_paris_time_compare_as_instants():
    # 10:30+02:00 is 08:30 UTC, before 10:00 Paris winter time (09:00 UTC): out of order
    result = validate(order(ordered_at="2026-11-20 10:00", accepted_at="2026-11-20T10:30:00+02:00"))
    assert codes(result.problems) == {(2, "accepted_at", Reason.EVENT_ORDER)}


@pytest.mark.parametrize(("extra", "columns"), [
    ({"accepted_at": "2026-11-20 11:00", "refused_at": "2026-11-20 11:00"}, {"refused_at"}),
    ({"refused_at": "2026-11-20 11:00", "shipped_at": "2026-11-20 12:00"}, {"shipped_at"}),
    ({"refused_at": "2026-11-20 11:00", "delivered_at": "2026-11-20 12:00"}, {"delivered_at"}),
    ({"rating_care": "5"}, {"rating_care"}),
    ({"refused_at": "2026-11-20 11:00", "rated_at": "2026-11-21 11:00", "rating_on_time": "1"},
     {"rated_at", "rating_on_time"}),
])
def test_impossible_states_are_rejected(extra, columns):
    result = validate(order(ordered_at="2026-11-20 10:00", **extra))
    assert codes(result.problems) == {(2, c, Reason.ORDER_STATE) for c in columns}
    assert result.valid.empty


def test_duplicate_order_ids_reject_every_copy_even_across_chunks():
    ctx = context()
    first = validate(order("A"), order("B"), order("B"), ctx=ctx)
    second = validate(order("C"), order("A"), order("A"), ctx=ctx, first_row=5)
    assert codes(first.problems) == {(3, "order_id", Reason.DUPLICATE_KEY),
                                     (4, "order_id", Reason.DUPLICATE_KEY)}
    assert list(first.valid.index) == [2]  # A staged before its copies were seen
    assert codes(second.problems) == {(r, "order_id", Reason.DUPLICATE_KEY) for r in (2, 6, 7)}
    assert list(second.valid.index) == [5]
    assert ctx.state["late_duplicates"] == {2}  # the loader drops the staged first copy
    third = validate(order("A"), ctx=ctx, first_row=8)  # each copy is still reported once
    assert codes(third.problems) == {(8, "order_id", Reason.DUPLICATE_KEY)}


@pytest.mark.parametrize(("name", "expected"), [
    ("2026-11-22.csv", date(2026, 11, 22)), ("commandes-2026-11-22.csv", date(2026, 11, 22)),
    ("export.csv", None), ("2026-13-40.csv", None), ("12026-11-22.csv", None),
])
def test_the_export_date_comes_from_the_file_name(name, expected):
    assert export_date_of(name) == expected


# -- loading, on both databases ----------------------------------------------------------------

HEADER = ("order_id;seller_id;sku;customer_type;ordered_at;amount;shipping_amount;accepted_at;"
          "shipped_at;delivered_at;claim_reason\n")


def write(path: Path, *lines: str, header: str = HEADER) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def ingest(engine, settings, path: Path, name: str | None = None):
    ingestor = Ingestor(engine, open_storage(settings), settings)
    return ingestor.ingest(IngestRequest(path=path, name=name or path.name, feed=ORDERS_FEED))


def stored(engine) -> dict[str, Order]:
    with Session(engine) as session:
        return {o.order_id: o for o in session.scalars(select(Order))}


def add_offer(engine, seller_id: int, sku: str) -> None:
    with Session(engine) as session, session.begin():
        session.add(Offer(seller_id=seller_id, sku=sku, title=sku, category="livres",
                          price=Decimal("10.00"), quantity=1, condition="new",
                          leadtime_to_ship=2, delivery="standard", currency="EUR", active=True))


@pytest.fixture
def seller_7(engine):
    add_seller(engine, 7)
    add_offer(engine, 7, "SKU-1")
    return engine


def test_an_export_loads_with_utc_times_and_its_export_date(seller_7, settings, tmp_path):
    path = write(tmp_path / "2026-11-22.csv",
                 "S;7;SKU-1;individual;2026-07-14 10:00;12,50;4,90;2026-07-14 10:05;;;",
                 "W;7;SKU-1;business;2026-01-14 10:00;12,50;;;;;")
    result = ingest(seller_7, settings, path)
    assert (result.status, result.loaded, result.rejected, result.warnings) == ("loaded", 2, 0, 0)
    orders = stored(seller_7)
    summer, winter = orders["S"], orders["W"]
    assert summer.ordered_at == datetime(2026, 7, 14, 8, tzinfo=UTC)  # 10:00 Paris, UTC+2
    assert summer.accepted_at == datetime(2026, 7, 14, 8, 5, tzinfo=UTC)
    assert winter.ordered_at == datetime(2026, 1, 14, 9, tzinfo=UTC)  # 10:00 Paris, UTC+1
    assert (summer.amount, summer.shipping_amount, winter.shipping_amount) == (
        Decimal("12.50"), Decimal("4.90"), Decimal("0.00"))  # no shipping written: 0
    assert (summer.export_date, summer.last_import_id) == (date(2026, 11, 22), result.import_id)
    assert (summer.customer_type, winter.delivered_at, winter.claim_reason) == (
        "individual", None, None)


def test_unknown_seller_rejected_unknown_sku_warned(seller_7, settings, tmp_path):
    path = write(tmp_path / "2026-11-22.csv",
                 "A;7;SKU-1;;2026-11-20 10:00;10;;;;;",
                 "B;8;SKU-1;;2026-11-20 10:00;10;;;;;",
                 "C;7;SKU-404;;2026-11-20 10:00;10;;;;;")
    result = ingest(seller_7, settings, path)
    assert (result.status, result.loaded, result.rejected, result.warnings) == ("partial", 2, 1, 1)
    assert codes(result.problems) == {(3, "seller_id", Reason.UNKNOWN_SELLER),
                                      (4, "sku", Reason.UNKNOWN_SKU)}
    warning = next(p for p in result.problems if p.code is Reason.UNKNOWN_SKU)
    assert (warning.severity, warning.value) == (Severity.WARNING, "SKU-404")
    assert set(stored(seller_7)) == {"A", "C"}
    assert "/outbox/imports/ops/" in result.errors_report  # reports go to ops


def test_an_older_export_never_overwrites_a_newer_state(seller_7, settings, tmp_path):
    newer = write(tmp_path / "2026-11-22.csv",
                  "A;7;SKU-1;;2026-11-20 10:00;10;;2026-11-20 11:00;2026-11-21 09:00;;",
                  "B;7;SKU-1;;2026-11-20 10:00;20;;;;;")
    older = write(tmp_path / "2026-11-21.csv",
                  "A;7;SKU-1;;2026-11-20 10:00;10;;2026-11-20 11:00;;;",
                  "C;7;SKU-1;;2026-11-20 10:00;30;;;;;")
    first = ingest(seller_7, settings, newer)
    late = ingest(seller_7, settings, older)
    orders = stored(seller_7)
    assert orders["A"].shipped_at == datetime(2026, 11, 21, 8, tzinfo=UTC)  # kept: 09:00 Paris
    assert (orders["A"].export_date, orders["A"].last_import_id) == (
        date(2026, 11, 22), first.import_id)
    assert (orders["C"].export_date, orders["C"].amount) == (date(2026, 11, 21), Decimal("30.00"))
    assert (late.status, late.loaded, late.warnings) == ("loaded", 1, 1)  # C only
    [warning] = late.problems
    assert (warning.code, warning.row) == (Reason.OLDER_EXPORT, None)
    assert warning.message_en.startswith("1 order(s)") and "(e.g. A)" in warning.message_en


def test_an_export_holding_an_earlier_day_s_rows_is_that_day_s_state(seller_7, settings, tmp_path):
    """The 22nd's export byte for byte the 20th's (a correction of the 21st undone) was a
    duplicate: the 21st's amount stayed, exit 0."""
    twentieth = write(tmp_path / "a" / "2026-11-20.csv", "A;7;SKU-1;;2026-11-19 10:00;40;;;;;")
    ingest(seller_7, settings, twentieth)
    ingest(seller_7, settings, write(tmp_path / "2026-11-21.csv", "A;7;SKU-1;;2026-11-19 10:00;30;;;;;"))
    again = tmp_path / "b" / "2026-11-22.csv"
    again.parent.mkdir()
    again.write_bytes(twentieth.read_bytes())
    assert ingest(seller_7, settings, again).status == "loaded"
    assert stored(seller_7)["A"].amount == Decimal("40.00")
    assert ingest(seller_7, settings, again).status == "duplicate"  # the same day's, once


def test_an_export_s_rejected_rows_come_back_dated_and_load_fixed(seller_7, settings, tmp_path):
    """Sent back fixed, the rejected rows of the 18th's export were dated by their latest event
    (the 6th), older than the stored state of the 10th: loaded 0, the correction lost."""
    ingest(seller_7, settings, write(tmp_path / "2026-11-10.csv", "S;7;SKU-1;;2026-11-05 10:00;10;;;;;"))
    result = ingest(seller_7, settings, write(
        tmp_path / "2026-11-18.csv", "S;7;SKU-1;;2026-11-05 10:00;dix;;2026-11-06 10:00;;;"))
    assert (result.loaded, result.rejected) == (0, 1)
    rejected = Path(result.errors_report).with_name(f"{result.import_id}-rejected-2026-11-18.csv")
    fixed = tmp_path / "fixed" / rejected.name
    fixed.parent.mkdir()
    fixed.write_text(rejected.read_text(encoding="utf-8-sig").replace("dix", "12"), encoding="utf-8")
    again = ingest(seller_7, settings, fixed)
    assert (again.status, again.loaded) == ("loaded", 1)
    order = stored(seller_7)["S"]
    assert (order.export_date, order.amount) == (date(2026, 11, 18), Decimal("12.00"))


def test_loaded_counts_the_orders_an_older_export_wrote(seller_7, settings, tmp_path):
    """`loaded` said 3 for a file of which one row was written, the warning beside it saying
    that the two others were left unchanged: the counts contradicted the report."""
    ingest(seller_7, settings, write(tmp_path / "2026-11-22.csv",
                                     "A;7;SKU-1;;2026-11-20 10:00;10;;;;;",
                                     "B;7;SKU-1;;2026-11-20 10:00;10;;;;;"))
    late = ingest(seller_7, settings, write(tmp_path / "2026-11-21.csv",
                                            "A;7;SKU-1;;2026-11-20 10:00;11;;;;;",
                                            "B;7;SKU-1;;2026-11-20 10:00;11;;;;;",
                                            "C;7;SKU-1;;2026-11-20 10:00;11;;;;;"))
    answer = late.as_json()
    # nothing to fix in the two rows left out: loaded, exit 0, the warning says why
    assert ({key: answer[key] for key in ("status", "rows", "loaded", "rejected", "warnings")},
            late.exit_code) == ({"status": "loaded", "rows": 3, "loaded": 1, "rejected": 0,
                                 "warnings": 1}, 0)
    assert late.problems[0].message_fr.startswith("2 commande(s) déjà connue(s)")
    with Session(seller_7) as session:
        assert session.execute(text("SELECT rows_loaded FROM imports WHERE id = :i"),
                               {"i": late.import_id}).scalar_one() == 1
    again = ingest(seller_7, settings, write(tmp_path / "b" / "2026-11-21.csv",
                                             "A;7;SKU-1;;2026-11-20 10:00;12;;;;;"))
    assert (again.status, again.rows, again.loaded, again.warnings) == ("loaded", 1, 0, 1)
    assert stored(seller_7)["A"].amount == Decimal("10.00")


def test_an_import_cut_short_after_its_commit_is_completed_with_the_count_it_wrote(
        seller_7, settings, tmp_path, monkeypatch):
    """The report failed on the storage after the rows were committed; the retry completes the
    import from what is stored: it said 3 loaded (rows − rejected) for 1 order written."""
    from marketplace.storage import LocalStorage, StorageError

    ingest(seller_7, settings, write(tmp_path / "2026-11-22.csv",
                                     "A;7;SKU-1;;2026-11-20 10:00;10;;;;;",
                                     "B;7;SKU-1;;2026-11-20 10:00;10;;;;;"))
    late = write(tmp_path / "2026-11-21.csv", "A;7;SKU-1;;2026-11-20 10:00;11;;;;;",
                 "B;7;SKU-1;;2026-11-20 10:00;11;;;;;", "C;7;SKU-1;;2026-11-20 10:00;11;;;;;")
    upload = LocalStorage.upload

    def failing(self, source, key):
        if key.startswith("outbox/imports/"):
            raise StorageError("upload", key, "injected fault")
        return upload(self, source, key)

    monkeypatch.setattr(LocalStorage, "upload", failing)
    with pytest.raises(StorageError):
        ingest(seller_7, settings, late)
    monkeypatch.setattr(LocalStorage, "upload", upload)
    retry = ingest(seller_7, settings, late)
    assert (retry.status, retry.loaded) == ("loaded", 1) and set(stored(seller_7)) == {"A", "B", "C"}
    with Session(seller_7) as session:
        first = session.execute(text("SELECT status, rows_read, rows_loaded, processed_at"
                                     " FROM imports ORDER BY id")).all()[1]
    assert (first.status, first.rows_read, first.rows_loaded) == ("loaded", 3, 1)
    assert first.processed_at is not None


def test_an_export_named_after_today_is_refused_it_would_freeze_its_orders(seller_7, settings,
                                                                           tmp_path):
    """A year mistyped in the name (2062 for 2026) made every later real export "older": its
    orders were never updated again, silently."""
    typo = ingest(seller_7, settings, write(tmp_path / "2062-11-22.csv",
                                            "A;7;SKU-1;;2026-11-20 10:00;10;;;;;"))
    assert (typo.status, typo.exit_code, typo.loaded) == ("rejected", 3, 0)
    assert typo.problems[0].code == Reason.BAD_DATE and "22/11/2062" in typo.problems[0].message_fr
    assert stored(seller_7) == {}
    today = ingest(seller_7, settings, write(tmp_path / "2026-11-23.csv",  # the tests' today
                                             "A;7;SKU-1;;2026-11-20 10:00;10;;;;;"))
    assert today.status == "loaded"


def test_a_re_export_of_the_same_day_or_later_replaces_the_order(seller_7, settings, tmp_path):
    ingest(seller_7, settings, write(tmp_path / "2026-11-22.csv",
                                     "A;7;SKU-1;;2026-11-20 10:00;10;;;;;colis abîmé"))
    again = ingest(seller_7, settings, write(tmp_path / "b" / "2026-11-22.csv",
                                             "A;7;SKU-1;;2026-11-20 10:00;12;;2026-11-20 11:00;;;"))
    a = stored(seller_7)["A"]
    # same day, later import: replaces; the now-empty claim cell clears the claim
    assert (a.amount, a.claim_reason, a.last_import_id) == (Decimal("12.00"), None, again.import_id)
    # a later day whose export has no accepted_at column at all: absent means no such event
    later = ingest(seller_7, settings, write(tmp_path / "2026-11-23.csv", "A;7;SKU-1;2026-11-20 10:00;12",
                                             header="order_id;seller_id;sku;ordered_at;amount\n"))
    a = stored(seller_7)["A"]
    assert (a.accepted_at, a.export_date, a.last_import_id, later.status) == (
        None, date(2026, 11, 23), later.import_id, "loaded")


def test_the_same_file_twice_is_a_duplicate(seller_7, settings, tmp_path):
    path = write(tmp_path / "2026-11-22.csv", "A;7;SKU-1;;2026-11-20 10:00;10;;;;;")
    assert ingest(seller_7, settings, path).status == "loaded"
    with Session(seller_7) as session, session.begin():
        session.execute(text("UPDATE orders SET amount = 1 WHERE order_id = 'A'"))
    again = ingest(seller_7, settings, path)
    assert (again.status, again.exit_code) == ("duplicate", 0)
    assert stored(seller_7)["A"].amount == Decimal("0.01")  # not applied a second time


def test_without_a_date_in_the_name_the_latest_event_in_paris_dates_the_export(
        seller_7, settings, tmp_path):
    # the latest event is 23:30 UTC on the 22nd = 00:30 on the 23rd in Paris (UTC+1)
    path = write(tmp_path / "export.csv",
                 "A;7;SKU-1;;2026-11-20 10:00;10;;2026-11-22T23:30:00Z;;;",
                 "B;7;SKU-1;;2026-11-21 10:00;10;;;;;")
    ingest(seller_7, settings, path)
    assert {o.export_date for o in stored(seller_7).values()} == {date(2026, 11, 23)}


def test_duplicates_across_chunks_are_all_rejected_at_load(seller_7, tmp_path, engine):
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False),
                        storage=str(tmp_path / "store"), chunk_rows=2)
    path = write(tmp_path / "2026-11-22.csv", *(f"{oid};7;SKU-1;;2026-11-20 10:00;10;;;;;"
                                                for oid in ("A", "B", "C", "A", "D")))
    result = ingest(engine, settings, path)
    assert (result.status, result.loaded, result.rejected) == ("partial", 3, 2)
    assert set(stored(engine)) == {"B", "C", "D"}


def test_the_sample_of_usual_mistakes(engine, settings):
    ingestor = Ingestor(engine, open_storage(settings), settings)
    sellers = SAMPLES_DIR / "sellers.csv"
    ingestor.ingest(IngestRequest(path=sellers, name=sellers.name, feed=SELLERS_FEED))
    for seller_id, skus in ((101, ("FORM-MGT-001", "FORM-MGT-002")), (102, ("LIV-0001", "LIV-0002"))):
        for sku in skus:
            add_offer(engine, seller_id, sku)
    path = SAMPLES_DIR / "orders-errors.csv"
    result = ingestor.ingest(IngestRequest(path=path, name=path.name, feed=ORDERS_FEED))
    assert (result.status, result.rows, result.loaded, result.rejected, result.warnings) == (
        "partial", 10, 3, 7, 2)
    assert codes(result.problems) == {
        (None, None, Reason.BAD_DATE),  # no date in the name: dated by its latest event, said
        (3, "refund_amount", Reason.OUT_OF_RANGE),  # 13,61 > 8,70 + 4,90
        (4, "shipped_at", Reason.ORDER_STATE),  # refused, then shipped
        (5, "rating_care", Reason.OUT_OF_RANGE),  # a 6
        (6, "delivered_at", Reason.EVENT_ORDER),  # delivered before shipped
        (7, "seller_id", Reason.UNKNOWN_SELLER),
        (8, "sku", Reason.UNKNOWN_SKU),
        (9, "order_id", Reason.DUPLICATE_KEY), (10, "order_id", Reason.DUPLICATE_KEY),
    }
    french = stored(engine)["CMD-1009"]
    assert french.ordered_at == datetime(2026, 11, 22, 13, 5, tzinfo=UTC)  # 22/11/2026 14:05 Paris
    # no date in the name: the latest event (a rating on 22/11 10:00+01:00) dates the export
    assert french.export_date == date(2026, 11, 22)


# -- the command line and the inbox ------------------------------------------------------------


@pytest.fixture
def cli(seller_7, catalog_env):
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(app, list(args))
        return result.exit_code, result.stdout

    return run


def test_cli_exit_codes_and_json(cli, tmp_path):
    clean = write(tmp_path / "2026-11-22.csv", "A;7;SKU-1;;2026-11-20 10:00;10;;;;;")
    code, out = cli("ingest", "orders", str(clean), "--json")
    answer = json.loads(out)
    assert (code, answer["status"], answer["kind"], answer["seller_id"], answer["loaded"],
            answer["errors_report"]) == (0, "loaded", "orders", None, 1, None)
    partial = write(tmp_path / "b" / "2026-11-22.csv", "B;7;SKU-1;;2026-11-20 10:00;-5;;;;;")
    code, out = cli("ingest", "orders", str(partial), "--json")
    answer = json.loads(out)
    assert (code, answer["status"], answer["rejected"]) == (1, "partial", 1)
    assert answer["problems"][0]["column"] == "amount"
    missing = write(tmp_path / "2026-11-23.csv", "C;7;SKU-1;2026-11-20 10:00",
                    header="order_id;seller_id;sku;ordered_at\n")
    code, out = cli("ingest", "orders", str(missing), "--json")
    answer = json.loads(out)
    assert (code, answer["status"], answer["problems"][0]["code"]) == (3, "rejected", "missing_column")
    assert cli("ingest", "orders", str(clean), "--seller", "7")[0] == 2


def test_an_export_of_a_day_without_changes_is_loaded_empty(cli, tmp_path):
    """The order system exports the header alone on a day no order changed: nothing to load,
    not a file to reject (exit 3 would wake ops for a quiet Sunday). Offer files still need rows."""
    quiet = write(tmp_path / "2026-11-22.csv")
    code, out = cli("ingest", "orders", str(quiet), "--json")
    answer = json.loads(out)
    assert (code, answer["status"], answer["rows"], answer["loaded"]) == (0, "loaded", 0, 0)
    assert cli("ingest", "orders", str(quiet), "--json")[0] == 0  # the same export again: duplicate


def test_run_inbox_takes_the_registry_then_the_order_export(cli, catalog_env):
    inbox = catalog_env / "inbox"
    (inbox / "sellers").mkdir(parents=True)
    (inbox / "orders").mkdir(parents=True)
    (inbox / "sellers" / "sellers.csv").write_bytes((SAMPLES_DIR / "sellers.csv").read_bytes())
    export = HEADER + "A;101;X;;2026-11-20 10:00;10;;;;;\n"
    (inbox / "orders" / "2026-11-22.csv").write_text(export, encoding="utf-8")
    code, out = cli("run", "inbox", "--json")
    answer = json.loads(out)
    # seller 101 comes from the registry of the same run; sku X is no offer: a warning
    assert [(f["kind"], f["status"]) for f in answer["files"]] == [
        ("sellers", "loaded"), ("orders", "loaded")]
    assert [p["code"] for p in answer["files"][1]["problems"]] == ["unknown_sku"]
    assert code == 0 and not list((inbox / "orders").iterdir())  # archived
    (inbox / "orders" / "2026-11-22.csv").write_text(export, encoding="utf-8")
    code, out = cli("run", "inbox", "--json")
    assert (code, [(f["kind"], f["status"]) for f in json.loads(out)["files"]]) == (
        0, [("orders", "duplicate")])


def test_the_run_that_loses_a_race_on_one_export_is_a_duplicate(seller_7, settings, tmp_path,
                                                                 monkeypatch):
    """Two runs of one export: the one recorded first, loading second, found the other's rows
    "from a newer export" (same day, later import), changed nothing, and answered "loaded" with
    that warning: two imports applied for one content. Forced here: the first waits."""
    import threading

    path = write(tmp_path / "2026-11-22.csv", "A;7;SKU-1;;2026-11-20 10:00;10;;;;;")
    arrived, done, ids, results = threading.Barrier(2), threading.Event(), [], {}
    real = Ingestor.load

    def load(self, session, run, scope, sha, import_id, on_rows=None):
        ids.append(import_id)
        arrived.wait(timeout=60)
        if import_id == min(ids):
            done.wait(timeout=60)
        return real(self, session, run, scope, sha, import_id, on_rows)

    monkeypatch.setattr(Ingestor, "load", load)

    def worker() -> None:
        result = ingest(seller_7, settings, path)
        results[result.import_id] = result
        if result.import_id != min(ids):
            done.set()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    first, second = (results[i] for i in sorted(results))
    assert (first.status, second.status, second.loaded) == ("duplicate", "loaded", 1)
    assert first.warnings == 0


@pytest.mark.parametrize(("extra", "column"), [
    ({"refund_amount": "10,00"}, "refund_amount"),  # a refund without its date
    ({"refunded_at": "2026-11-22 10:00"}, "refunded_at"),  # a date without its amount
    ({"goodwill_amount": "5,00"}, "goodwill_amount"),
    ({"goodwill_at": "2026-11-22 10:00"}, "goodwill_at"),
])
def test_a_refund_or_voucher_without_its_amount_or_its_date_is_rejected(extra, column):
    """Loaded, the ledger read the missing half as the refund cleared and reversed a refund
    already booked (or never booked it); 0,00 in every row is no refund."""
    result = validate(order(**extra), order("A2", refund_amount="0,00", goodwill_amount="0.00"))
    assert codes(result.problems) == {(2, column, Reason.ORDER_STATE)}
    assert list(result.valid.index) == [3]


def test_a_delivery_never_accepted_is_said_and_the_order_loaded():
    """Its sale waits for the acceptance (payouts.md): it loaded without a word."""
    result = validate(order(delivered_at="2026-11-22 10:00"))
    assert codes(result.problems) == {(2, "delivered_at", Reason.ORDER_STATE)}
    assert result.problems[0].severity == "warning" and list(result.valid.index) == [2]


def test_an_event_dated_in_the_future_is_rejected_not_the_estimated_delivery():
    """A delivery typed 2062 dated an export without a date in its name in 2062: every later
    export of its orders was "older" and left unchanged."""
    result = validate(order(accepted_at="2026-11-20 11:00", delivered_at="2062-11-22 10:00",
                            estimated_delivery_at="2026-12-24 12:00"))
    assert codes(result.problems) == {(2, "delivered_at", Reason.BAD_DATE)}
    assert "dans le futur" in result.problems[0].message_fr


@pytest.mark.parametrize(("name", "day"), [
    ("2026-11-21.csv", date(2026, 11, 21)), ("commandes_20261121.csv", date(2026, 11, 21)),
    ("export_2026_11_21.csv", date(2026, 11, 21)), ("export-20261321.csv", None),
    ("2026-13-01.csv", None), ("commandes.csv", None), ("lot-123456789.csv", None),
    ("export_00041105.csv", None), ("export_10000101.csv", None),  # batch numbers, no dates
    ("batch_19990101_2026-12-03.csv", date(2026, 12, 3)),  # the ISO date first
    ("lot_20201231_20261203.csv", date(2026, 12, 3)),  # the latest
])
def test_the_export_date_in_a_file_name(name, day):
    """`commandes_20261203.csv` was read as undated: dated by its latest event, a correction
    it carried was "older" than the stored state and dropped."""
    assert export_date_of(name) == day


def test_an_undated_file_is_dated_by_its_events_not_by_a_forecast(seller_7, settings, tmp_path):
    """An estimated delivery in the future dated a stale hand-made file "today": it overwrote
    the newer nightly state and the delivery was lost (never sold)."""
    header = HEADER.replace("claim_reason", "estimated_delivery_at")
    ingest(seller_7, settings, write(tmp_path / "2026-11-22.csv",
                                     "W;7;SKU-1;;2026-11-20 10:00;10;;2026-11-20 11:00;;"
                                     "2026-11-21 10:00;2099-01-01 12:00", header=header))
    stale = ingest(seller_7, settings, write(tmp_path / "correction.csv",
                                             "W;7;SKU-1;;2026-11-20 10:00;10;;2026-11-20 11:00;;;"
                                             "2099-01-01 12:00", header=header))
    assert (stale.loaded, {p.code for p in stale.problems}) == (0, {Reason.BAD_DATE,
                                                                   Reason.OLDER_EXPORT})
    assert stored(seller_7)["W"].delivered_at is not None
