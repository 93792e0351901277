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


@lru_cache(maxsize=1)
def _codes_by_name() -> dict[str, str]:
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"], fallback=True)
    names: dict[str, str] = {}
    for country in pycountry.countries:
        spellings = (country.name, getattr(country, "common_name", None),
                     getattr(country, "official_name", None), french.gettext(country.name),
                     country.alpha_3)
        for spelling in filter(None, spellings):
            names.setdefault(header_key(spelling), country.alpha_2)
    return names


def country_codes(raw: pd.Series) -> pd.Series:
    """Stripped cell texts → alpha-2 codes where they are a code or a country's name; other
    texts upper-cased as they are ("" stays "")."""
    codes = raw.str.upper()
    named = ~codes.isin(COUNTRY_CODES) & codes.ne("")
    if named.any():
        found = raw[named].map(lambda text: _codes_by_name().get(header_key(text)))
        codes[named] = found.where(found.notna(), codes[named])
    return codes
