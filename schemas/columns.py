"""Which of the seller's columns is which field: aliases, required columns, unknown columns.

Headers match case-, accent- and space-insensitively (`loaders.headers.normalize_header`),
through each field's aliases. A required column that is missing rejects the file and names the
closest header the seller did write, so a typo ("prixx") is obvious.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from loaders.headers import normalize_header
from marketplace.errors import Problem, Reason, Severity, reject_file


@dataclass(frozen=True)
class ColumnSpec:
    """A field of a feed and the header texts that name it."""

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    required_for_updates: bool = False  # needed unless every row of the file is a deletion

    def header_keys(self) -> set[str]:
        return {normalize_header(self.name), *(normalize_header(a) for a in self.aliases)}


@dataclass
class HeaderMap:
    """Field name → position of its column in the file, and the seller's text for each."""

    positions: dict[str, int]
    headers: list[str]
    unknown: list[str] = field(default_factory=list)
    specs: tuple[ColumnSpec, ...] = ()

    def require_update_columns(self) -> None:
        """Reject the file if a column that update rows need is missing."""
        for spec in self.specs:
            if spec.required_for_updates and spec.name not in self.positions:
                raise _missing_column(spec, self.headers, self.unknown)

    def header_of(self, name: str) -> str:
        return self.headers[self.positions[name]]

    def unknown_columns_warning(self) -> Problem | None:
        if not self.unknown:
            return None
        names = ", ".join(f"« {h} »" for h in self.unknown)
        names_en = ", ".join(f'"{h}"' for h in self.unknown)
        return Problem(
            Reason.UNKNOWN_COLUMN,
            f"Colonnes inconnues ignorées : {names}.",
            f"Unknown columns ignored: {names_en}.",
            severity=Severity.WARNING,
        )


def known_header_keys(specs: tuple[ColumnSpec, ...]) -> frozenset[str]:
    """Every normalized header text that names some field (for finding the header row)."""
    return frozenset(key for spec in specs for key in spec.header_keys())


def map_headers(headers: list[str], specs: tuple[ColumnSpec, ...]) -> HeaderMap:
    """Match the seller's headers to fields; reject the file if a required one is missing."""
    by_key = {key: spec for spec in specs for key in spec.header_keys()}
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for position, header in enumerate(headers):
        spec = by_key.get(normalize_header(header))
        if spec is None:
            if header.strip():
                unknown.append(header)
            continue
        if spec.name in positions:
            first = headers[positions[spec.name]]
            raise reject_file(
                Reason.DUPLICATE_HEADER,
                f"Les colonnes « {first} » et « {header} » désignent toutes deux « {spec.name} » :"
                " gardez-en une seule.",
                f'Columns "{first}" and "{header}" both mean "{spec.name}": keep only one.',
                column=header,
            )
        positions[spec.name] = position
    for spec in specs:
        if spec.required and spec.name not in positions:
            raise _missing_column(spec, headers, unknown)
    return HeaderMap(positions, list(headers), unknown, specs)


def _missing_column(spec: ColumnSpec, headers: list[str], unknown: list[str]):
    candidates = {normalize_header(h): h for h in unknown}
    close = difflib.get_close_matches(
        normalize_header(spec.name),
        list(candidates),
        n=1,
        cutoff=0.6,
    ) or difflib.get_close_matches(
        min(spec.header_keys(), key=len), list(candidates), n=1, cutoff=0.6
    )
    hint_fr = f" Vouliez-vous dire « {candidates[close[0]]} » ?" if close else ""
    hint_en = f' Did you mean "{candidates[close[0]]}"?' if close else ""
    aliases = ", ".join(spec.aliases)
    also_fr = f" (ou : {aliases})" if aliases else ""
    also_en = f" (or: {aliases})" if aliases else ""
    return reject_file(
        Reason.MISSING_COLUMN,
        f"Colonne obligatoire absente : « {spec.name} »{also_fr}.{hint_fr}",
        f'Required column missing: "{spec.name}"{also_en}.{hint_en}',
        column=spec.name,
    )
