"""Collecting problems for a chunk: from boolean masks to one `Problem` per offending cell.

Rules are vectorised and produce masks; only the (usually few) offending cells become Python
objects, each with the seller's row number, header text and value.
"""

from __future__ import annotations

import pandas as pd

from marketplace.errors import Problem, Reason, Severity


def _quote(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


class ProblemCollector:
    """The problems of one chunk, and which rows they reject."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def flag(
        self,
        mask: pd.Series,
        code: Reason,
        column: str | None,
        values: pd.Series,
        message_fr: str,
        message_en: str,
        severity: Severity = Severity.ERROR,
    ) -> None:
        """Add a problem for each row where `mask` holds.

        Messages may use `{value}` (the cell's text, shortened) and `{column}`.
        """
        hits = values[mask.fillna(False).astype(bool)]
        # one pair of messages per distinct value, shared by its problems: a column empty on
        # 100,000 rows held 100,000 copies of the same two sentences
        said: dict[str, tuple[str, str]] = {}
        for row, value in hits.items():
            text = "" if value is None or value is pd.NA else str(value)
            if (messages := said.get(text)) is None:
                quoted = _quote(text)
                messages = said[text] = (message_fr.format(value=quoted, column=column),
                                         message_en.format(value=quoted, column=column))
            self.problems.append(
                Problem(code, *messages, row=int(row), column=column, value=text, severity=severity)
            )

    def first_per_cell(self, *, also_distinct: frozenset[Reason] = frozenset()) -> list[Problem]:
        """One problem per cell (a missing title is not also "too short"), in order found.

        Codes in `also_distinct` are kept beside another problem of the same cell (a
        duplicated sku is worth saying even when the sku is also malformed).
        """
        seen: set[tuple] = set()
        kept = []
        for problem in self.problems:
            key = (problem.row, problem.column, problem.code if problem.code in also_distinct else None)
            if problem.row is None or key not in seen:
                seen.add(key)
                kept.append(problem)
        return kept

    def rejected_rows(self) -> set[int]:
        return {p.row for p in self.problems if p.severity is Severity.ERROR and p.row is not None}
