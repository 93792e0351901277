"""Orders whose amount changed after the month that paid their sale was closed.

A sale is booked once, in the month its order is accepted and delivered (payouts.md), and a
closed month is final: an export that later carries another amount for the order changes the
orders table and nothing else. Said at every payout run, for ops to book the difference as an
adjustment; a later refund is computed on the new amount and could take back more than was
paid.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from marketplace.models import LedgerEntry, Order, PayoutMonth

EXAMPLES = 10


def changed_after_close(session: Session) -> list[str]:
    """One warning naming the orders (a few, and how many) whose amount differs from their
    closed sale's; none when every sale still matches its order."""
    paid = Order.amount + func.coalesce(Order.shipping_amount, 0)  # compared in the database's
    # own unit (cents on SQLite); each column read through its type for the message
    query = (select(LedgerEntry.order_id, LedgerEntry.month, LedgerEntry.amount, Order.amount,
                    Order.shipping_amount)
             .join(PayoutMonth, and_(PayoutMonth.month == LedgerEntry.month,
                                     PayoutMonth.status == "closed"))
             .join(Order, Order.order_id == LedgerEntry.order_id)
             .where(LedgerEntry.entry_type == "SALE", LedgerEntry.amount != paid)
             .order_by(LedgerEntry.order_id))
    changed = session.execute(query).all()
    if not changed:
        return []
    shown = ", ".join(f"{order_id} ({month} : {_euros(sold)} → {_euros(amount + (shipping or 0))})"
                      for order_id, month, sold, amount, shipping in changed[:EXAMPLES])
    more = f" et {len(changed) - EXAMPLES} autre(s)" if len(changed) > EXAMPLES else ""
    more_en = f" and {len(changed) - EXAMPLES} more" if len(changed) > EXAMPLES else ""
    return [f"{len(changed)} commande(s) au montant modifié après la clôture du mois qui a payé"
            f" leur vente, rien n'est recomptabilisé : {shown}{more} ; passez la différence en"
            f" ajustement / {len(changed)} order(s) whose amount changed after the month that paid"
            f" their sale was closed, nothing is booked again: {shown}{more_en}; book the"
            " difference as an adjustment"]


def _euros(amount) -> str:
    return f"{Decimal(amount):.2f} €"
