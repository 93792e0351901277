"""A seller's country as registry exports write it, for the ISO 3166 alpha-2 code the catalog stores.

feeds.md asks for the code (`FR`); ops' spreadsheets also say `France`, `Belgique`, `FRA`. A
row refused for writing its country in words lost its status change and bank account for a
word nobody could misread, so names (English and French, from pycountry's own translations)
and alpha-3 codes are read as their alpha-2 code. Anything else stays as written, for the
schema to refuse with its message.
"""

from __future__ import annotations

import gettext
from functools import lru_cache

import pandas as pd
import pycountry

from loaders.headers import header_key

COUNTRY_CODES = frozenset(country.alpha_2 for country in pycountry.countries)
_ALPHA_3 = {country.alpha_3: country.alpha_2 for country in pycountry.countries}
_NOT_A_COUNTRY = frozenset({"DOM", "TOM", "COM"})
"""Written in capitals by French ops for the overseas departments and collectivities, and
alpha-3 codes too (the Dominican Republic, the Comoros): refused, never read as those."""
_AMBIGUOUS_NAMES = frozenset({"congo"})  # the Republic of the Congo or the DRC: say which
_IN_USE = {"UK": "GB", "EL": "GR"}
"""The codes the EU itself writes for the United Kingdom and Greece (VAT numbers, VIES)."""
_FRENCH_WORDS = {header_key(name): code for name, code in (
    ("France métropolitaine", "FR"), ("Métropole", "FR"), ("Royaume-Uni", "GB"),
    ("Angleterre", "GB"))}
"""What French ops write that pycountry's names do not hold."""


@lru_cache(maxsize=1)
def _codes_by_name() -> dict[str, str]:
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"], fallback=True)
    names: dict[str, str] = {}
    for country in pycountry.countries:
        spellings = (country.name, getattr(country, "common_name", None),
                     getattr(country, "official_name", None), french.gettext(country.name))
        for spelling in filter(None, spellings):
            names.setdefault(header_key(spelling), country.alpha_2)
    return {name: code for name, code in names.items() if name not in _AMBIGUOUS_NAMES}


def _code_of(text: str) -> str | None:
    if text.upper() in _IN_USE:
        return _IN_USE[text.upper()]
    if text.isupper() and text not in _NOT_A_COUNTRY and text in _ALPHA_3:  # FRA, never "fra"
        return _ALPHA_3[text]
    key = header_key(text)
    return _FRENCH_WORDS.get(key) or _codes_by_name().get(key)


def country_codes(raw: pd.Series) -> pd.Series:
    """Stripped cell texts → alpha-2 codes where they are a code (alpha-2 in any case, alpha-3
    in capitals) or a country's name; other texts upper-cased as they are ("" stays "")."""
    codes = raw.str.upper()
    named = ~codes.isin(COUNTRY_CODES) & codes.ne("")
    if named.any():
        found = raw[named].map(_code_of)
        codes[named] = found.where(found.notna(), codes[named])
    return codes
