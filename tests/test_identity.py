"""The marketplace identity file: the sample loads, placeholders and bad numbers are refused."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest

from marketplace.config import PROJECT_ROOT, SAMPLES_DIR, Settings
from marketplace.identity import IdentityError, load_identity, parse_identity

SAMPLE = SAMPLES_DIR / "marketplace.toml"
EXAMPLE = PROJECT_ROOT / "config" / "marketplace.example.toml"


def _settings(path: Path) -> Settings:
    return Settings(identity_file=path)


def _sample_table() -> dict:
    import tomllib

    return tomllib.loads(SAMPLE.read_text(encoding="utf-8"))


def test_sample_identity_loads_with_typed_values():
    identity = load_identity(_settings(SAMPLE))
    assert identity.siren == "912345675"
    assert identity.vat_number == "FR65912345675"
    assert identity.share_capital == Decimal("150000.00")
    assert identity.bic == "BNPAFRPP"


def test_iban_never_in_repr_and_masked_to_its_last_4():
    identity = load_identity(_settings(SAMPLE))
    assert identity.iban not in repr(identity)
    # FR7630004000010001234567830: 27 characters, 23 masked then "7830"
    assert identity.masked_iban == "*" * 23 + "7830"


def test_default_setting_points_at_config_file():
    assert Settings().identity_file == Path("config/marketplace.toml")


def test_example_template_is_refused_naming_the_placeholders():
    with pytest.raises(IdentityError, match="siren: placeholder left") as caught:
        load_identity(_settings(EXAMPLE))
    assert "iban: placeholder left" in str(caught.value)


def test_an_iban_left_between_the_placeholder_brackets_is_masked_in_the_message():
    """Filling the template inside its brackets is a common slip: the refusal reaches stderr,
    --json and the flow's logs, so it must not carry the account number."""
    table = _sample_table()
    iban = table["marketplace"]["iban"]
    table["marketplace"]["iban"] = f"<{iban[:4]} {iban[4:]}>"
    with pytest.raises(IdentityError, match="iban: placeholder left") as caught:
        parse_identity(table)
    assert iban[4:-4] not in str(caught.value).replace(" ", "")
    assert "*" * 20 in str(caught.value)


def test_missing_file_says_how_to_fix(tmp_path):
    with pytest.raises(IdentityError, match="marketplace.example.toml"):
        load_identity(_settings(tmp_path / "absent.toml"))


def test_invalid_toml_is_an_identity_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[marketplace\nname = 1", encoding="utf-8")
    with pytest.raises(IdentityError, match="not valid TOML"):
        load_identity(_settings(bad))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("siren", "912345676", "siren: invalid"),  # last digit off: Luhn check fails
    ("vat_number", "FR00912345675", "vat_number: invalid"),  # wrong key
    ("vat_number", "FR40303265045", "must embed the SIREN"),  # valid, but another company's
    ("iban", "FR7630004000010001234567831", "iban"),  # RIB key off by one
    ("bic", "BNPA", "bic"),  # too short
    ("bic", "DEUTDEFF", "bic"),  # German bank for a French IBAN
    ("email", "facturation", "email"),
    ("name", "  ", "name: missing"),
])
def test_bad_field_is_named(field, value, message):
    table = _sample_table()
    table["marketplace"][field] = value
    with pytest.raises(IdentityError, match=message) as caught:
        parse_identity(table)
    assert "FR7630004000010001234567831" not in str(caught.value)  # an IBAN is never echoed


@pytest.mark.parametrize("capital", [150000.5, True, "-10", "12.345"])
def test_share_capital_float_or_bad_amount_refused(capital):
    table = _sample_table()
    table["marketplace"]["share_capital"] = capital
    with pytest.raises(IdentityError, match="share_capital"):
        parse_identity(table)


def test_spaced_identifiers_are_compacted():
    table = _sample_table()
    table["marketplace"].update(siren="912 345 675", iban="FR76 3000 4000 0100 0123 4567 830",
                                share_capital=150000)
    identity = parse_identity(table)
    assert identity.siren == "912345675"
    assert identity.iban == "FR7630004000010001234567830"
    assert identity.share_capital == Decimal("150000.00")


def test_the_demo_fills_a_missing_identity_file_with_the_sample_and_keeps_an_existing_one(tmp_path):
    from rich.console import Console

    from marketplace.demo import _fill_identity

    path = tmp_path / "config" / "marketplace.toml"
    _fill_identity(path, Console(file=io.StringIO()))
    assert path.read_bytes() == (SAMPLES_DIR / "marketplace.toml").read_bytes()
    assert load_identity(Settings(identity_file=path)).siren == "912345675"
    path.write_text("# ops' own file\n")
    _fill_identity(path, Console(file=io.StringIO()))
    assert path.read_text() == "# ops' own file\n"
