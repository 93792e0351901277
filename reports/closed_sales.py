"""Orders whose amount changed after the month that paid their sale was closed.

A sale is booked once, in the month its order is accepted and delivered (payouts.md), and a
closed month is final: an export that later carries another amount for the order changes the
orders table and nothing else. Said in the payout run after the change, for ops to book the
difference as an adjustment; a later refund is computed on the new amount and could take back
more than was paid.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from marketplace.models import LedgerEntry, Order, PayoutMonth

EXAMPLES = 10


def last_payout_run(session: Session):
    """When the last payout run (draft or close) computed its month, if any: read before this
    run records its own."""
    return session.scalar(select(func.max(PayoutMonth.computed_at)))


def changed_after_close(session: Session, since) -> list[str]:
    """One warning naming the orders (a few, and how many) changed by an export since the last
    payout run whose amount now differs from their sale's in a closed month: said once, in the
    run after the change (ops book an adjustment, which names no order); none when there is no
    such order. Read from the orders changed since (the sale through its order's index), not
    from every sale of the ledger's history."""
    if since is None:  # no run yet: no month closed
        return []
    paid = Order.amount + func.coalesce(Order.shipping_amount, 0)  # compared in the database's
    # own unit (cents on SQLite); each column read through its type for the message
    query = (select(LedgerEntry.order_id, LedgerEntry.month, LedgerEntry.amount, Order.amount,
                    Order.shipping_amount)
             .select_from(Order)
             .join(LedgerEntry, and_(LedgerEntry.order_id == Order.order_id,
                                     LedgerEntry.entry_type == "SALE"))
             .join(PayoutMonth, and_(PayoutMonth.month == LedgerEntry.month,
                                     PayoutMonth.status == "closed"))
             .where(Order.updated_at > since, LedgerEntry.amount != paid))
    count = session.scalar(select(func.count()).select_from(query.subquery()))
    if not count:
        return []
    changed = session.execute(query.order_by(LedgerEntry.order_id).limit(EXAMPLES)).all()
    shown = ", ".join(f"{order_id} ({month} : {_euros(sold)} → {_euros(amount + (shipping or 0))})"
                      for order_id, month, sold, amount, shipping in changed)
    more = f" et {count - EXAMPLES} autre(s)" if count > EXAMPLES else ""
    more_en = f" and {count - EXAMPLES} more" if count > EXAMPLES else ""
    return [f"{count} commande(s) au montant modifié après la clôture du mois qui a payé leur"
            f" vente, rien n'est recomptabilisé : {shown}{more} ; passez la différence en"
            f" ajustement / {count} order(s) whose amount changed after the month that paid their"
            f" sale was closed, nothing is booked again: {shown}{more_en}; book the difference"
            " as an adjustment"]


def _euros(amount) -> str:
    return f"{Decimal(amount):.2f} €"
