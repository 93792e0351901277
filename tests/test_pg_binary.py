"""Binary COPY (loaders.pg_binary) against a real PostgreSQL: what goes in comes back."""

import pandas as pd
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session

from loaders import pg_binary
from loaders.bulk import copy_frame

TABLE_DDL = """
CREATE TEMP TABLE binary_copy (
    big BIGINT, whole INTEGER, small SMALLINT, flag BOOLEAN, note TEXT, code VARCHAR(5)
) ON COMMIT DROP
"""
COLUMNS = ["big", "whole", "small", "flag", "note", "code"]
TYPES = {"big": "bigint", "whole": "integer", "small": "smallint", "flag": "boolean",
         "note": "text", "code": "character varying", "at": "timestamp without time zone"}


def round_trip(engine, frame: pd.DataFrame, columns=COLUMNS) -> list[tuple]:
    with Session(engine) as session:
        session.execute(text(TABLE_DDL))
        copy_frame(session, "binary_copy", frame, columns)
        rows = session.execute(text(f"SELECT {', '.join(columns)} FROM binary_copy")).all()
        session.rollback()
    return [tuple(row) for row in rows]


def test_every_type_and_null_comes_back_as_sent(postgres_engine):
    frame = pd.DataFrame({
        "big": pd.array([2**63 - 1, -(2**63), None, 0], dtype="Int64"),
        "whole": pd.array([2**31 - 1, -(2**31), 7, None], dtype="Int64"),
        "small": [1, -2, 300, 4],
        "flag": pd.array([True, False, None, True], dtype="boolean"),
        "note": pd.Series(["é€ «ünïcode»", "", None, 'a;b,"c"\n\\N\t'], dtype="str"),
        "code": [None, "ABCDE", "x", ""],
    })
    assert round_trip(postgres_engine, frame) == [
        (2**63 - 1, 2**31 - 1, 1, True, "é€ «ünïcode»", None),
        (-(2**63), -(2**31), -2, False, "", "ABCDE"),
        (None, 7, 300, None, None, "x"),
        (0, None, 4, True, 'a;b,"c"\n\\N\t', ""),
    ]


def test_a_column_empty_in_the_whole_chunk_beside_others(postgres_engine):
    frame = pd.DataFrame({"big": pd.array([None, None], dtype="Int64"), "whole": [1, None],
                          "flag": pd.array([None, None], dtype="boolean"), "note": ["a", None]})
    columns = ["big", "whole", "flag", "note"]
    assert round_trip(postgres_engine, frame, columns) == [(None, 1, None, "a"),
                                                           (None, None, None, None)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.none(), st.text(  # what a file can hold: UTF-8, no NUL
    st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30)), min_size=1, max_size=20))
def test_any_text_round_trips(postgres_engine, notes):
    frame = pd.DataFrame({"note": pd.Series(notes, dtype=object)})
    assert [row[0] for row in round_trip(postgres_engine, frame, ["note"])] == notes


def test_what_binary_cannot_say_goes_as_csv_and_postgresql_judges():
    frame = pd.DataFrame({"whole": [2**31], "at": [pd.Timestamp("2026-12-06 10:00")],
                          "note": [12]})
    assert pg_binary.encode(frame, ["whole"], TYPES) is None  # out of range: CSV
    assert pg_binary.encode(frame, ["at"], TYPES) is None  # no encoder: CSV
    assert pg_binary.encode(frame, ["note"], TYPES) is None  # a number for a text column
    mixed = pd.DataFrame({"note": pd.Series(["a", 3], dtype=object)})
    assert pg_binary.encode(mixed, ["note"], TYPES) is None  # text and a number: CSV
    assert pg_binary.encode(frame.iloc[:0].assign(whole=[]), ["whole"], TYPES) is not None


def test_a_value_out_of_its_column_range_is_refused_by_postgresql(postgres_engine):
    frame = pd.DataFrame({"whole": [2**31]})
    with pytest.raises(psycopg.errors.DataError, match="out of range"):
        round_trip(postgres_engine, frame, ["whole"])


def test_a_first_file_sends_every_offer_column():
    from loaders.offer_loading import NEW_OFFER_COLUMNS
    from loaders.offer_merge import CHANGEABLE

    assert sorted(NEW_OFFER_COLUMNS) == sorted(
        ["seller_id", "sku", *CHANGEABLE, "active", "last_import_id", "fingerprint"])
