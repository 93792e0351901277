"""Order rules across columns and rows: amount caps, the order of events, states, duplicates.

Each needs more than one cell of a row (a refund is compared with what was paid) or more than
one row (a repeated order_id), so they live beside the pandera schema, not in it. All are
vectorised over the chunk and report through the validator's collector; a rule only looks at
the cells that hold a value (an empty cell is "no such event").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from marketplace.calendar import PARIS
from marketplace.errors import Reason, Severity
from schemas.repeated_keys import reject_repeated_keys

if TYPE_CHECKING:
    from schemas.orders import OrderValidator

GOODWILL_SHARE = 4  # a goodwill voucher is at most 1/4 (25 %) of the amount: 4 × voucher ≤ amount
DELIVERY_CHAIN = ("ordered_at", "accepted_at", "shipped_at", "delivered_at")
AFTER_ORDER = ("refused_at", "estimated_delivery_at", "refunded_at", "claim_opened_at",
               "question_at", "answered_at", "rated_at", "goodwill_at")
STEPS = {  # event -> (French, English) for messages
    "ordered_at": ("la commande", "the order"),
    "accepted_at": ("l'acceptation", "the acceptance"),
    "shipped_at": ("l'expédition", "the shipment"),
    "question_at": ("la question du client", "the customer's question"),
}
PAIRS = (  # (amount, its date): one without the other is not booked
    ("refund_amount", "refunded_at", "Un remboursement", "A refund"),
    ("goodwill_amount", "goodwill_at", "Un geste commercial", "A goodwill voucher"),
)
FUTURE_SLACK = pd.Timedelta(hours=1)
"""How far after the run an event may be dated (clocks differ a little), the estimated delivery
apart: a 2062 typed for 2026 dated the export in 2062 and froze its orders."""
RATED = ("rated_at", "rating_delivery_place", "rating_on_time", "rating_care",
         "rating_conformity", "rating_packaging")


def _given(typed: pd.DataFrame, name: str) -> pd.Series:
    return typed[name].notna()


def _before(later: pd.Series, earlier: pd.Series) -> pd.Series:
    """Where both instants are given and `later` comes first."""
    return (later < earlier).fillna(False).astype(bool)


def _date_alone(texts: pd.Series) -> pd.Series:
    """The cells that give a day without its time (read as midnight, Paris)."""
    return texts.ne("") & ~texts.str.contains(r"\d[:hH]\d|\d\s?[hH]\b|T\d", regex=True)


def _same_paris_day(one: pd.Series, other: pd.Series) -> pd.Series:
    days = [instants.dt.tz_convert(PARIS).dt.date for instants in (one, other)]
    return (days[0] == days[1]).fillna(False).astype(bool)


def _literal(text: str) -> str:
    """A header placed in a message template: its braces must not look like placeholders."""
    return text.replace("{", "{{").replace("}", "}}")


def check_amounts(v: OrderValidator, typed: pd.DataFrame) -> None:
    """A refund is at most what the customer paid; a goodwill voucher at most 25 % of amount."""
    paid = typed["amount"] + typed["shipping_amount"].fillna(0)
    v.flag((typed["refund_amount"] > paid).fillna(False).astype(bool), Reason.OUT_OF_RANGE,
           "refund_amount",
           "Le remboursement « {value} » dépasse ce que le client a payé (montant + frais de port).",
           'The refund "{value}" is more than the customer paid (amount + shipping).')
    over = (typed["goodwill_amount"] * GOODWILL_SHARE > typed["amount"]).fillna(False).astype(bool)
    v.flag(over, Reason.OUT_OF_RANGE, "goodwill_amount",
           "Le geste commercial « {value} » dépasse 25 % du montant de la commande.",
           'The goodwill voucher "{value}" is more than 25 % of the order amount.')


def check_events(v: OrderValidator, typed: pd.DataFrame) -> None:
    """Ordered ≤ accepted ≤ shipped ≤ delivered; nothing before the order; no answer before
    the question. Each late cell is reported once, naming the step it comes before."""
    pairs = [(later, earlier) for i, later in enumerate(DELIVERY_CHAIN)
             for earlier in reversed(DELIVERY_CHAIN[:i])]
    pairs += [(later, "ordered_at") for later in AFTER_ORDER]
    for later, earlier in pairs:
        mask = _before(typed[later], typed[earlier])
        if mask.any():  # a date alone is that whole day: delivered "12/11" after shipped at 15:00
            mask &= ~(_date_alone(v.raw[later]) & _same_paris_day(typed[later], typed[earlier]))
        if not mask.any():
            continue
        french, english = STEPS[earlier]
        header = _literal(v.header(earlier))
        v.flag(mask, Reason.EVENT_ORDER, later,
               f"La date « {{value}} » est antérieure à {french} (colonne « {header} ») : une"
               " commande est passée, puis acceptée, expédiée et livrée, dans cet ordre.",
               f'The date "{{value}}" is before {english} (column "{header}"): an order is'
               " placed, then accepted, shipped and delivered, in that order.")
    header = _literal(v.header("question_at"))
    v.flag(_before(typed["answered_at"], typed["question_at"]), Reason.EVENT_ORDER, "answered_at",
           f"La réponse du vendeur « {{value}} » est antérieure à la question du client (colonne"
           f" « {header} ») : une réponse vient après la question.",
           f'The seller\'s answer "{{value}}" is before the customer\'s question (column'
           f' "{header}"): an answer comes after the question.')


def check_future(v: OrderValidator, typed: pd.DataFrame) -> None:
    """No event after the run (the estimated delivery is a forecast): a delivery typed 2062
    was taken as the export's date and every later export of its orders was "older"."""
    limit = pd.Timestamp(v.ctx.now) + FUTURE_SLACK
    for name in (*DELIVERY_CHAIN, *AFTER_ORDER):
        if name == "estimated_delivery_at":
            continue
        v.flag((typed[name] > limit).fillna(False).astype(bool), Reason.BAD_DATE, name,
               "La date « {value} » est dans le futur : un export ne contient que ce qui a eu"
               " lieu (une faute de frappe dans l'année ?).",
               'The date "{value}" is in the future: an export holds only what happened (a'
               " typo in the year?).")


def check_states(v: OrderValidator, typed: pd.DataFrame) -> None:
    """Accepted or refused, not both; a refused order has no shipment; a delivered order was
    accepted; only an accepted order is rated; a refund or a goodwill voucher has
    its amount and its date."""
    accepted, refused = _given(typed, "accepted_at"), _given(typed, "refused_at")
    v.flag(accepted & refused, Reason.ORDER_STATE, "refused_at",
           "Une commande est acceptée ou refusée, pas les deux : « {column} » doit être vide"
           " puisque la commande a une date d'acceptation.",
           'An order is accepted or refused, not both: "{column}" must be empty since the'
           " order has an acceptance date.")
    for name in ("shipped_at", "delivered_at"):
        v.flag(refused & _given(typed, name), Reason.ORDER_STATE, name,
               "Une commande refusée n'est pas expédiée : « {column} » doit être vide"
               " (« {value} »).",
               'A refused order is not shipped: "{column}" must be empty ("{value}").')
    # loaded, and said to ops: what the ledger cannot book from the row as it is (the rest of
    # the order, its claim or its rating, still counts)
    v.flag(~refused & ~accepted & _given(typed, "delivered_at"), Reason.ORDER_STATE,
           "delivered_at",
           "Commande livrée sans date d'acceptation (« {value} ») : sa vente ne sera payée au"
           " vendeur qu'une fois l'acceptation donnée par un export.",
           'Order delivered without an acceptance date ("{value}"): its sale is paid to the'
           " seller only once an export gives the acceptance.", severity=Severity.WARNING)
    for amount, when, what_fr, what_en in PAIRS:
        dated = _given(typed, when)
        paid = (typed[amount] > 0).fillna(False).astype(bool)  # 0,00 in every row: none
        for mask, column, missing in ((paid & ~dated, amount, when),
                                      (dated & ~_given(typed, amount), when, amount)):
            other = _literal(v.header(missing))
            v.flag(mask, Reason.ORDER_STATE, column,
                   f"{what_fr} a un montant et une date : « {{value}} » est donné mais la colonne"
                   f" « {other} » est vide. La ligne est refusée et la commande reste telle"
                   " qu'enregistrée (chargée, elle aurait pu annuler ce qui est déjà comptabilisé).",
                   f'{what_en} has an amount and a date: "{{value}}" is given but column'
                   f' "{other}" is empty. The row is refused and the order stays as stored'
                   " (loaded, it could have reversed what is already booked).")
    check_whole_ratings(v, typed, accepted)
    for name in RATED:
        v.flag(~accepted & _given(typed, name), Reason.ORDER_STATE, name,
               "Seule une commande acceptée peut être évaluée : « {column} » doit être vide"
               " (« {value} ») tant que la commande n'a pas de date d'acceptation.",
               'Only an accepted order can be rated: "{column}" must be empty ("{value}")'
               " while the order has no acceptance date.")


def check_whole_ratings(v: OrderValidator, typed: pd.DataFrame, accepted: pd.Series) -> None:
    """An evaluation counts when its date and its five aspects are all there (the average is
    over whole evaluations): one with a cell missing is loaded, and ops are told that it
    is left out of the seller's rating, once per row, on its first empty cell (an order not
    accepted has no evaluation at all: refused below)."""
    given = pd.DataFrame({name: _given(typed, name) for name in RATED})
    partial = accepted & given.any(axis=1) & ~given.all(axis=1)
    for name in RATED:
        first_missing = partial & ~given[name]
        partial &= ~first_missing
        v.flag(first_missing, Reason.ORDER_STATE, name,
               "Évaluation incomplète : « {column} » est vide alors que l'évaluation est"
               " commencée (sa date ou une note). Elle ne compte pas dans la note moyenne du"
               " vendeur (il faut la date et les cinq notes).",
               'Incomplete evaluation: "{column}" is empty while the evaluation is begun (its'
               " date or a rating). It is left out of the seller's average rating (the date and"
               " all five aspects are needed).", severity=Severity.WARNING)


def check_duplicates(v: OrderValidator, typed: pd.DataFrame) -> None:
    """Every copy of an order_id repeated in the file is rejected: no guessing which one wins."""
    order_id = typed["order_id"]
    reject_repeated_keys(
        v, order_id, order_id.notna(), "order_id",
        "La commande « {value} » apparaît plusieurs fois dans le fichier : aucune de ces"
        " lignes n'est chargée.",
        'Order "{value}" appears more than once in the file: none of these rows is loaded.')
