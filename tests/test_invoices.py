"""Invoice issuing and numbering, on both databases: one unbroken yearly series per kind."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select, update

from marketplace.models import Invoice, InvoiceCounter, LedgerEntry, Seller
from reports.invoices import UnknownSeller, issue_month_invoices, stored_month_invoices
from tests.test_invoices_builders import add_sellers, charges

DEC_1 = date(2026, 12, 1)
JAN_1 = date(2027, 1, 1)


def _issue(engine, month, issue_date, batch):
    with engine.begin() as connection:
        add_sellers(connection, [c.seller_id for c in batch])
        return issue_month_invoices(connection, month, issue_date, batch)


def _numbers(invoices) -> list[str]:
    return [invoice.number for invoice in invoices]


def test_amounts_are_the_booked_sums(engine):
    # commission 5.00 + 1.00 VAT, subscription 39.99 + 8.00 VAT:
    # excl. VAT 5.00 + 39.99 = 44.99; VAT 1.00 + 8.00 = 9.00; incl. VAT 44.99 + 9.00 = 53.99
    [invoice] = _issue(engine, "2026-11", DEC_1, [charges(101, "5.00", "39.99")])
    assert invoice.number == "FA-2026-000001"
    assert (invoice.type_code, invoice.series) == (380, "FA")
    assert (invoice.commission_excl_vat, invoice.commission_vat) == (Decimal("5.00"), Decimal("1.00"))
    assert (invoice.subscription_excl_vat, invoice.subscription_vat) == (Decimal("39.99"), Decimal("8.00"))
    assert (invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat) == (
        Decimal("44.99"), Decimal("9.00"), Decimal("53.99"))
    assert invoice.customer_siren == "812345676"  # the customer's SIREN, snapshot at issue
    with engine.connect() as connection:
        [stored] = stored_month_invoices(connection, "2026-11")
    assert stored == invoice  # the row gives back exactly what was issued


def test_numbers_unbroken_across_two_months_and_reruns(engine):
    november = [charges(s, "10.00", "39.99") for s in (3, 1, 2)]
    first = _issue(engine, "2026-11", DEC_1, november)
    # in seller order, whatever the order of the charges
    assert [(i.seller_id, i.number) for i in first] == [
        (1, "FA-2026-000001"), (2, "FA-2026-000002"), (3, "FA-2026-000003")]
    rerun = _issue(engine, "2026-11", DEC_1, november)
    assert rerun == first  # same documents, no new number
    december = _issue(engine, "2026-12", date(2026, 12, 31), [charges(s, "1.00") for s in (1, 2)])
    assert _numbers(december) == ["FA-2026-000004", "FA-2026-000005"]
    with engine.connect() as connection:
        counter = connection.execute(select(InvoiceCounter.last_number).where(
            InvoiceCounter.series == "FA", InvoiceCounter.year == 2026)).scalar_one()
    assert counter == 5


def test_rerun_with_a_new_seller_numbers_only_that_one(engine):
    _issue(engine, "2026-11", DEC_1, [charges(1, "10.00")])
    again = _issue(engine, "2026-11", DEC_1, [charges(1, "10.00"), charges(2, "20.00")])
    assert _numbers(again) == ["FA-2026-000001", "FA-2026-000002"]


def test_negative_net_is_a_credit_note_in_its_own_series(engine):
    # seller 2: commission refunds 60.00 > subscription 39.99: net -20.01 excl. VAT
    batch = [charges(1, "10.00"), charges(2, "-60.00", "39.99"), charges(3, "-5.00"), charges(4, "7.00")]
    issued = {i.seller_id: i for i in _issue(engine, "2026-11", DEC_1, batch)}
    assert [issued[s].number for s in (1, 2, 3, 4)] == [
        "FA-2026-000001", "AV-2026-000001", "AV-2026-000002", "FA-2026-000002"]
    credit = issued[2]
    assert credit.type_code == 381
    # printed negated: commission +60.00 (VAT 12.00), subscription -39.99 (VAT -8.00)
    assert (credit.commission_excl_vat, credit.subscription_excl_vat) == (Decimal("60.00"), Decimal("-39.99"))
    # 60.00 - 39.99 = 20.01; VAT 12.00 - 8.00 = 4.00; 24.01 incl. VAT
    assert (credit.total_excl_vat, credit.total_vat, credit.total_incl_vat) == (
        Decimal("20.01"), Decimal("4.00"), Decimal("24.01"))
    assert credit.charges() == batch[1]  # the booked charges, signs restored


def _book(connection, seller_id, month, entry_type, order_id, amount):
    connection.execute(insert(LedgerEntry), [dict(
        seller_id=seller_id, month=month, entry_type=entry_type, order_id=order_id,
        reference=f"{order_id}@{amount}", occurred_at=datetime(2026, int(month[5:]), 10, tzinfo=UTC),
        amount=Decimal(amount), vat=Decimal(amount) / 6, text=entry_type)])


def test_a_credit_note_names_the_invoices_whose_commissions_it_gives_back(engine):
    _issue(engine, "2026-09", date(2026, 10, 1), [charges(2, "10.00"), charges(3, "10.00")])
    _issue(engine, "2026-10", date(2026, 11, 2), [charges(1, "8.00"), charges(2, "-1.00")])
    with engine.begin() as connection:
        for seller, month, order in ((2, "2026-09", "A"), (2, "2026-10", "B"), (2, "2026-11", "C"),
                                     (1, "2026-10", "D"), (4, "2026-08", "E"), (3, "2026-09", "F")):
            _book(connection, seller, month, "COMMISSION", order, "-12.00")
        for seller, order in ((2, "A"), (2, "B"), (2, "C"), (1, "D"), (4, "E")):
            _book(connection, seller, "2026-11", "COMMISSION_REFUND", order, "12.00")
    # 2: refunds of September's, October's (a credit note there) and November's own orders;
    # 1: an invoice, though it gives back October's commission; 4: before the first close
    issued = {i.seller_id: i for i in _issue(engine, "2026-11", DEC_1, [
        charges(1, "2.00"), charges(2, "-20.00"), charges(4, "-10.00")])}
    assert issued[2].preceding == [("AV-2026-000001", date(2026, 11, 2)),
                                   ("FA-2026-000001", date(2026, 10, 1))]
    assert issued[2].preceding_invoices == "AV-2026-000001@2026-11-02 FA-2026-000001@2026-10-01"
    assert issued[1].preceding == [] and issued[4].preceding == []
    with engine.connect() as connection:
        stored = {i.seller_id: i for i in stored_month_invoices(connection, "2026-11")}
    assert stored == issued


def test_nothing_issued_when_every_amount_is_zero(engine):
    assert _issue(engine, "2026-11", DEC_1, [charges(1)]) == []
    with engine.connect() as connection:
        assert connection.execute(select(Invoice.id)).first() is None


def test_zero_net_with_lines_is_an_invoice(engine):
    # commission refunds -39.99 exactly offset the subscription 39.99
    [invoice] = _issue(engine, "2026-11", DEC_1, [charges(1, "-39.99", "39.99")])
    assert (invoice.number, invoice.total_incl_vat) == ("FA-2026-000001", Decimal("0.00"))


def test_year_change_starts_a_new_series(engine):
    _issue(engine, "2026-11", DEC_1, [charges(1, "10.00"), charges(2, "-10.00")])
    january = _issue(engine, "2026-12", JAN_1, [charges(1, "10.00"), charges(2, "-10.00")])
    assert _numbers(january) == ["FA-2027-000001", "AV-2027-000001"]


def test_reverse_charge_invoice_has_no_vat(engine):
    with engine.begin() as connection:
        add_sellers(connection, [9], country="DE")
    [invoice] = _issue(engine, "2026-11", DEC_1, [charges(9, "5.00", "39.99", reverse_charge=True)])
    assert invoice.reverse_charge
    assert (invoice.total_vat, invoice.total_incl_vat) == (Decimal("0.00"), Decimal("44.99"))
    assert invoice.customer_vat_number == "DE136695976"


def test_registry_change_after_issue_does_not_change_the_invoice(engine):
    [issued] = _issue(engine, "2026-11", DEC_1, [charges(1, "10.00")])
    with engine.begin() as connection:
        connection.execute(update(Seller).where(Seller.seller_id == 1).values(legal_name="Renamed SA"))
        [again] = issue_month_invoices(connection, "2026-11", DEC_1, [charges(1, "10.00")])
    assert again.customer_legal_name == issued.customer_legal_name == "Vendeur 1 SAS"


def test_unknown_seller_is_refused_and_no_number_is_used(engine):
    with pytest.raises(UnknownSeller), engine.begin() as connection:
        issue_month_invoices(connection, "2026-11", DEC_1, [charges(404, "1.00")])
    # the failed transaction gave its number back: the next invoice is still 000001
    assert _numbers(_issue(engine, "2026-11", DEC_1, [charges(1, "1.00")])) == ["FA-2026-000001"]


def test_rollback_gives_the_numbers_back(engine):
    class Abort(Exception):
        pass

    with pytest.raises(Abort), engine.begin() as connection:
        add_sellers(connection, [1, 2])
        issue_month_invoices(connection, "2026-11", DEC_1, [charges(1, "1.00"), charges(2, "1.00")])
        raise Abort  # e.g. the close's invariant check failed after invoicing
    assert _numbers(_issue(engine, "2026-11", DEC_1, [charges(3, "1.00")])) == ["FA-2026-000001"]


def _race(engine, batches):
    """Run one issuing transaction per batch, all started together; return their results."""
    with engine.begin() as connection:
        add_sellers(connection, [c.seller_id for batch in batches for c in batch])
    barrier = threading.Barrier(len(batches))
    results: list = [None] * len(batches)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            with engine.begin() as connection:
                results[index] = issue_month_invoices(connection, "2026-11", DEC_1, batches[index])
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return results


def test_concurrent_runs_draw_distinct_consecutive_numbers(engine):
    first, second = _race(engine, [[charges(s, "1.00") for s in range(1, 41)],
                                   [charges(s, "1.00") for s in range(41, 81)]])
    sequences = sorted(i.sequence for i in [*first, *second])
    assert sequences == list(range(1, 81))  # 80 sellers: 1..80, no gap, no duplicate
    for run in (first, second):  # each run took one consecutive block
        own = sorted(i.sequence for i in run)
        assert own == list(range(own[0], own[0] + 40))


def test_concurrent_runs_of_the_same_month_invoice_each_seller_once(engine):
    batch = [charges(s, "1.00") for s in range(1, 31)]
    first, second = _race(engine, [batch, batch])
    assert first == second  # the second run waited, then found the first one's invoices
    with engine.connect() as connection:
        assert len(stored_month_invoices(connection, "2026-11")) == 30


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(1, 12), st.sampled_from(["2026-10", "2026-11", "2026-12"]),
                          st.integers(-3, 3)), max_size=12))
def test_random_batches_leave_no_gap(engine, draws):
    """Whatever the batches (reruns, credit notes, zero charges), each series is 1..N."""
    batch = {seller: charges(seller, f"{net}.00") for seller, _, net in draws}
    months = {month for _, month, _ in draws} or {"2026-11"}
    for month in sorted(months):
        _issue(engine, month, DEC_1, list(batch.values()))
    with engine.connect() as connection:
        rows = connection.execute(select(Invoice.series, Invoice.sequence, Invoice.seller_id,
                                         Invoice.month)).all()
        counters = dict(connection.execute(select(InvoiceCounter.series, InvoiceCounter.last_number)
                                           .where(InvoiceCounter.year == 2026)).all())
    for series in ("FA", "AV"):
        sequences = sorted(row.sequence for row in rows if row.series == series)
        assert sequences == list(range(1, len(sequences) + 1))
        assert counters.get(series, 0) == len(sequences)
    assert len({(row.seller_id, row.month) for row in rows}) == len(rows)


def test_two_charges_for_one_seller_are_refused(engine):
    with pytest.raises(ValueError, match="one InvoiceCharges per seller"), engine.begin() as connection:
        issue_month_invoices(connection, "2026-11", DEC_1, [charges(1, "1.00"), charges(1, "2.00")])
