"""Properties of random ledgers over two closed months: conservation, SEPA total, sold once."""

from __future__ import annotations

from collections import Counter

import defusedxml.ElementTree as SafeET
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tests.conftest import _truncate
from tests.test_payouts_support import add_order, add_seller, paris, run

orders = st.lists(st.tuples(
    st.integers(1, 4),  # seller
    st.integers(0, 500_00),  # amount, cents
    st.integers(1, 60),  # delivery day from 1 October (None when > 55)
    st.integers(0, 100),  # refunded percent (0: none)
), max_size=12)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(orders)
def test_random_ledgers_conserve_money_and_sell_once(engine, tmp_path, drawn):
    _truncate(engine)
    for leftover in (tmp_path / "store").rglob("*.xml"):  # the previous example's
        leftover.unlink()
    for seller in range(1, 5):
        add_seller(engine, seller, bank_valid=seller != 4)
    for i, (seller, cents, day, refund) in enumerate(drawn):
        delivered = None if day > 55 else paris(2026, 10, 1, 12).replace(day=1) + _days(day)
        refunded = delivered + _days(3) if delivered and refund else None
        add_order(engine, f"H{i}", seller, _euros(cents),
                  delivered=delivered, refunded=refunded,
                  refund=_euros(cents * refund // 100) if refunded else None)
    run(engine, tmp_path, "2026-10", close=True)
    run(engine, tmp_path, "2026-10", close=True)  # a re-issue books nothing
    run(engine, tmp_path, "2026-11", close=True, now=paris(2026, 12, 1, 6))
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT seller_id, month, entry_type, order_id, amount FROM ledger_entries")).all()
        payouts = connection.execute(text(
            "SELECT seller_id, month, opening, amount, decision FROM payouts")).all()
    sales = Counter(r.order_id for r in rows if r.entry_type == "SALE")
    assert all(count == 1 for count in sales.values())
    for p in payouts:
        opening = sum(r.amount for r in rows if r.seller_id == p.seller_id and r.month < p.month)
        movements = sum(r.amount for r in rows if r.seller_id == p.seller_id and r.month == p.month
                        and r.entry_type != "PAYOUT")
        closing = sum(r.amount for r in rows if r.seller_id == p.seller_id and r.month <= p.month)
        assert p.opening == opening and closing == opening + movements - p.amount
    for month in ("2026-10", "2026-11"):
        paid = sum(p.amount for p in payouts if p.month == month and p.decision == "paid")
        sepa = tmp_path / "store" / "outbox" / "payouts" / month / "sepa-credit-transfer.xml"
        if paid:
            root = SafeET.fromstring(sepa.read_bytes())
            ctrl = next(e for e in root.iter() if e.tag.endswith("CtrlSum"))
            assert ctrl.text == _euros(paid)
        else:
            assert not sepa.exists()


def _days(n: int):
    from datetime import timedelta

    return timedelta(days=n - 1)


def _euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"
