"""Promotion rules across columns, rows and the periods' calendar.

A discount depends on the type, a sale (type 5) on the period its row names, the other types
on every regulated sales period, and an overlap on the other rows of the same offer, so these
live beside the pandera schema, not in it. All are vectorised over the chunk: the period checks
loop over the dozen periods, never over rows, and the overlap check is one sort plus
neighbour comparisons (O(n log n)), across chunks too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from marketplace.errors import Problem, Reason
from schemas.promotion_periods import TIMEZONE, Period

if TYPE_CHECKING:
    from schemas.promotions import PromotionValidator

_NS = "datetime64[ns, UTC]"
SALE, FREE_DELIVERY = 5, 10
PROMOTION_TYPES = {  # code -> (French name, English name): the seed's five codes
    5: ("Soldes", "Sale"), 6: ("Vente flash", "Flash sale"), 7: ("Bon plan", "Good deal"),
    8: ("Déstockage", "Clearance"), 10: ("Livraison offerte", "Free delivery"),
}


def check_discounts(v: PromotionValidator, typed: pd.DataFrame) -> None:
    """Types 5-8 need a discount price or a percentage (one, not both); free delivery none."""
    price_given = v.raw["discount_price"] != ""
    percent_given = v.raw["discount_percent"] != ""
    kind = typed["promotion_type"]
    discounted = kind.isin([c for c in PROMOTION_TYPES if c != FREE_DELIVERY]).astype(bool)
    free_delivery = (kind == FREE_DELIVERY).fillna(False).astype(bool)
    v.flag(price_given & percent_given, Reason.NOT_ALLOWED, "discount_percent",
           "Indiquez un prix promo ou une remise en %, pas les deux : « {value} ».",
           'Give a discount price or a percentage, not both: "{value}".')
    v.flag(discounted & ~price_given & ~percent_given, Reason.REQUIRED, "discount_price",
           "Une promotion de type 5 à 8 demande un prix promo (colonne « {column} ») ou une"
           " remise en %.",
           'A type 5 to 8 promotion needs a discount price (column "{column}") or a percentage.')
    for name, given in (("discount_price", price_given), ("discount_percent", percent_given)):
        v.flag(free_delivery & given, Reason.NOT_ALLOWED, name,
               "La livraison offerte (type 10) n'a pas de remise : laissez « {column} » vide.",
               'Free delivery (type 10) has no discount: leave "{column}" empty.')


def check_dates(v: PromotionValidator, typed: pd.DataFrame) -> None:
    """Not already over, and not past the last year whose sales dates the admins published."""
    end = typed["end_at"]
    now = pd.Timestamp(v.ctx.now).tz_convert("UTC")
    v.flag((end <= now).fillna(False), Reason.PAST_END, "end_at",
           "Cette promotion est déjà terminée (fin « {value} ») : elle n'est pas chargée.",
           'This promotion is already over (end "{value}"): it is not loaded.')
    horizon = v.calendar.horizon
    last_day = (horizon.tz_convert("Europe/Paris") - pd.Timedelta(days=1)).strftime("%d/%m/%Y")
    v.flag((end > horizon).fillna(False), Reason.SALES_PERIOD, "end_at",
           f"Les dates des soldes après le {last_day} ne sont pas encore publiées : une promotion"
           f" ne peut pas finir après cette date (« {{value}} »).",
           f"The sales dates after {last_day} are not published yet: a promotion cannot end"
           f' after that date ("{{value}}").')


def flag_spring_gap(v: PromotionValidator, typed: pd.DataFrame) -> None:
    """An end not after its start because the start fell in the hour the clocks skip (the last
    Sunday of March, 02:00-02:59 does not exist in Paris and reads 03:00): "the end 28/03/2027
    03:00 must be after the start" contradicted the row the seller sees. Told first, the
    general message then gives way (one problem a cell)."""
    start, end = typed["start_at"], typed["end_at"]
    stuck = (end <= start).fillna(False).astype(bool)
    if not stuck.any():  # the usual case
        return
    local = start[stuck].dt.tz_convert(TIMEZONE)
    written_two = v.raw["start_at"][stuck].str.contains(r"(?:^|[ T])0?2\s*[:hH]", regex=True)
    skipped = written_two & (local.dt.hour == 3) & (local.dt.minute == 0) & (
        (local - pd.Timedelta(hours=1)).dt.tz_convert(TIMEZONE).dt.hour == 1)
    v.flag(skipped.reindex(typed.index, fill_value=False), Reason.BAD_DATE, "end_at",
           "La fin « {value} » n'est pas après le début : cette nuit-là, les horloges passent de"
           " 2 h à 3 h, et une heure de 2:00 à 2:59 n'existe pas (elle se lit 3:00). Faites"
           " commencer la promotion avant 2:00 ou à partir de 3:00.",
           'The end "{value}" is not after the start: that night the clocks go from 2:00 to'
           " 3:00, and a time from 2:00 to 2:59 does not exist (it reads 3:00). Start the"
           " promotion before 2:00 or from 3:00.")


def _flag_other_period(v: PromotionValidator, apart: pd.Series, named: Period,
                       start: pd.Series, end: pd.Series) -> pd.Series:
    """Sales dated wholly outside the period they name but within another one's days: the
    code is what is wrong, told on the period's cell with the right one (a start written as
    the opening day alone, 00:00, counts: its hour is told once the code is right). Returns
    the rows so told; the others keep the messages on their dates."""
    told = pd.Series(False, index=apart.index)
    now = pd.Timestamp(v.ctx.now)
    for q in v.calendar.regulated:
        if q.code == named.code:  # its opening day's small hours: the dates are what is wrong
            continue
        if q.end <= now:  # "write soldes-hiver-2026" beside "already over": the dates are wrong
            continue
        inside = apart & ~told & (start >= q.start.tz_convert(TIMEZONE).normalize()) & (end <= q.end)
        v.flag(inside, Reason.SALES_PERIOD, "period",
               f"Ces dates ne sont pas dans les {named.shown()} que nomme « {{value}} » : elles"
               f" tombent dans les {q.shown()} ; écrivez « {q.code} ».",
               f'These dates are not in {named.code}, which "{{value}}" names: they fall in'
               f' {q.code}; write "{q.code}".')
        told |= inside
    return told


def check_periods(v: PromotionValidator, typed: pd.DataFrame) -> None:
    """Sales (type 5) only inside the regulated period they name; nothing else during one."""
    calendar = v.calendar
    period, start, end = typed["period"], typed["start_at"], typed["end_at"]
    named = period.notna()
    known = period.isin(list(calendar.periods)).astype(bool)
    # the seller has no list of the codes: the message gives those not over yet
    now = pd.Timestamp(v.ctx.now)
    codes = ", ".join(p.code for p in calendar.periods.values() if p.end > now)
    v.flag(named & ~known, Reason.NOT_ALLOWED, "period",
           f"Période inconnue « {{value}} » : codes possibles : {codes}.",
           f'Unknown period "{{value}}": possible codes: {codes}.')
    sale = (typed["promotion_type"] == SALE).fillna(False).astype(bool)
    dated = start.notna() & end.notna() & (start < end)
    v.flag(sale & ~named, Reason.REQUIRED, "period",
           "Des Soldes (type 5) doivent nommer leur période de soldes dans la colonne"
           " « {column} » (par exemple soldes-hiver-2027).",
           'A sale (type 5) must name its sales period in column "{column}" (e.g.'
           " soldes-hiver-2027).")
    regulated = period.isin([p.code for p in calendar.regulated]).astype(bool)
    other_type = typed["promotion_type"].notna().astype(bool) & ~sale
    v.flag(other_type & regulated, Reason.NOT_ALLOWED, "period",
           "« {value} » est une période de soldes : seules des Soldes (type 5) la nomment ; pour"
           " une autre promotion, laissez la colonne « {column} » vide.",
           '"{value}" is a sales period: only a sale (type 5) names it; leave column "{column}"'
           " empty for another promotion.")
    v.flag(sale & known & ~regulated, Reason.SALES_PERIOD, "period",
           "« {value} » n'est pas une période de soldes : des Soldes (type 5) n'ont lieu que"
           " pendant les soldes d'hiver ou d'été.",
           '"{value}" is not a sales period: a sale (type 5) only runs during the winter or'
           " summer sales.")
    for p in calendar.regulated:
        mine = sale & dated & (period == p.code).astype(bool)
        # wholly outside the period it names: the code is what is wrong ("soldes-hiver-2026"
        # on January 2027 dates had its end alone flagged)
        apart = mine & ((end <= p.start) | (start >= p.end))
        mine &= ~_flag_other_period(v, apart, p, start, end)
        early = mine & (start < p.start)
        # the opening day written as a date alone (00:00) is the usual case: the sales open at
        # 08:00 that day, so the message says what to write rather than "falls outside it"
        opening = p.start.tz_convert(TIMEZONE)
        opening_day = early & (start >= opening.normalize())  # early: before the opening hour
        # an hour in its own column is the cell to fix: the date's cell was marked, quoting
        # both joined, and the advice to write a date and an hour there made it unreadable
        hour, joined, _ = v.joined.get("start_at", (None, pd.Series(False, index=start.index), None))
        v.flag(opening_day & ~joined, Reason.SALES_PERIOD, "start_at",
               f"Les {p.name} ouvrent le {opening:%d/%m/%Y} à {opening:%H:%M} : des Soldes"
               f" (type 5) ne peuvent pas commencer avant ; écrivez « {opening:%d/%m/%Y %H:%M} »"
               " comme début.",
               f"{p.code} opens on {opening:%Y-%m-%d} at {opening:%H:%M}: a sale (type 5) cannot"
               f' start before; write "{opening:%d/%m/%Y %H:%M}" as the start.')
        if hour is not None:
            v.flag(opening_day & joined, Reason.SALES_PERIOD, hour,
                   f"Les {p.name} ouvrent le {opening:%d/%m/%Y} à {opening:%H:%M} : des Soldes"
                   f" (type 5) ne peuvent pas commencer avant ; écrivez « {opening:%H:%M} » comme"
                   " heure de début.",
                   f"{p.code} opens on {opening:%Y-%m-%d} at {opening:%H:%M}: a sale (type 5)"
                   f' cannot start before; write "{opening:%H:%M}" as the start time.')
        late = mine & (start >= p.end)  # after the period it names: its start is outside too
        for name, mask in (("start_at", (early & ~opening_day) | late),
                           ("end_at", mine & ((end > p.end) | (end <= p.start)))):
            v.flag(mask, Reason.SALES_PERIOD, name,
                   f"Des Soldes (type 5) doivent avoir lieu pendant la période qu'elles nomment,"
                   f" {p.shown()} : « {{value}} » en sort.",
                   f"A sale (type 5) must run inside the period it names, {p.code}: "
                   f'"{{value}}" falls outside it.')
        v.flag(dated & ~sale & (start < p.end) & (p.start < end), Reason.SALES_PERIOD,
               "promotion_type",
               f"Pendant les {p.shown()}, seules les Soldes (type 5) sont autorisées : cette"
               f" promotion de type « {{value}} » chevauche cette période.",
               f"During {p.code} only sales (type 5) may run: this type \"{{value}}\" promotion"
               " overlaps that period.")


def overlap_partners(sku: pd.Series, start: pd.Series, end: pd.Series) -> pd.Series:
    """For each interval `[start, end)` that overlaps another of the same sku, one of those.

    Returns the label of a partner, indexed by the labels of the overlapping rows (rows that
    overlap nothing are absent). Sorted by (sku, start), an interval overlaps an earlier one
    exactly when it starts before the latest end so far in its sku, and a later one exactly
    when the next interval starts before it ends: neighbours only, never all pairs.
    """
    if sku.empty:
        return pd.Series([], dtype="int64")
    codes = pd.factorize(sku)[0]
    starts = start.astype(_NS).dt.tz_localize(None).to_numpy().view("int64")
    ends = end.astype(_NS).dt.tz_localize(None).to_numpy().view("int64")
    order = np.lexsort((ends, starts, codes))
    labels = sku.index.to_numpy()[order]
    group, b, e = codes[order], starts[order], ends[order]
    positions = np.arange(len(order))
    new_group = np.r_[True, group[1:] != group[:-1]]
    latest = pd.Series(e).groupby(np.cumsum(new_group)).cummax().to_numpy()
    # the position holding the latest end so far (it is the group's first row at a new group)
    holder = np.maximum.accumulate(np.where(e == latest, positions, 0))
    earlier = ~new_group & (b < np.r_[np.iinfo(np.int64).min, latest[:-1]])
    later = np.r_[~new_group[1:], False] & (e > np.r_[b[1:], np.iinfo(np.int64).max])
    previous_holder = np.r_[0, holder[:-1]]
    following = np.minimum(positions + 1, len(order) - 1)
    partner = np.where(earlier, labels[previous_holder], labels[following])
    hit = earlier | later
    return pd.Series(partner[hit], index=labels[hit])


def check_overlaps(v: PromotionValidator, typed: pd.DataFrame) -> list[Problem]:
    """Two promotions of one offer may not overlap: every row involved is rejected.

    Rows of earlier chunks are kept (`ctx.state["intervals"]`) and compared with this chunk's
    rows of the same skus; an earlier row found to overlap now was already staged, so it is
    listed in `ctx.state["late_overlaps"]` for the loader to drop.
    """
    state = v.ctx.state
    sku, start, end = typed["sku"], typed["start_at"], typed["end_at"]
    usable = (sku != "") & start.notna() & end.notna() & (start < end)
    current = pd.DataFrame({"sku": sku, "start": start, "end": end,
                            "start_text": v.raw["start_at"]})[usable]
    kept: list[pd.DataFrame] = state.setdefault("intervals", [])
    skus = pa.array(current["sku"], type=pa.string())  # Arrow's hashed is_in: pandas' loops
    earlier = [frame[pc.is_in(pa.array(frame["sku"], type=pa.string()), value_set=skus)
                     .to_numpy(zero_copy_only=False)] for frame in kept]
    both = pd.concat([*earlier, current]) if earlier else current
    partners = overlap_partners(both["sku"], both["start"], both["end"])
    kept.append(current)
    flagged: set[int] = state.setdefault("overlap_rows", set())
    new = partners[~partners.index.isin(list(flagged))]
    flagged.update(int(row) for row in new.index)
    late = new.index[~new.index.isin(current.index)]
    state.setdefault("late_overlaps", set()).update(int(row) for row in late)
    column = v.header("start_at")
    found = both.loc[new.index]  # row numbers are unique across chunks
    return [
        Problem(Reason.OVERLAP,
                f"Cette promotion chevauche celle de la ligne {other} pour la même offre"
                f" « {sku} » : deux promotions d'une offre ne peuvent pas avoir"
                " lieu en même temps (aucune des deux n'est chargée).",
                f"This promotion overlaps the one on row {other} for the same offer"
                f" \"{sku}\": two promotions of an offer cannot run at the same"
                " time (neither is loaded).",
                row=int(row), column=column, value=start_text)
        for row, other, sku, start_text in zip(new.index, new.to_numpy(), found["sku"],
                                                found["start_text"], strict=True)
    ]
