"""Domain functions through the bindings: money crosses as decimal strings,
and bad input arrives as the typed exception."""

import pytest

import passregion_uniffi as pr


def test_version():
    assert pr.core_version().count(".") == 2


def test_parse_money_canonical_form():
    assert pr.parse_money("12,50 €") == "12.50"
    assert pr.parse_money("12") == "12.00"
    assert pr.parse_money("1 234,5") == "1234.50"


def test_format_money_in_french():
    assert pr.format_money("1234.5") == "1\u202f234,50\u00a0€"


@pytest.mark.parametrize("bad", ["", "12.345", "1e3", "-1", "NaN", "Infinity", "0x10", "12."])
def test_bad_amounts_are_typed_errors(bad):
    with pytest.raises(pr.PassRegionError.InvalidAmount) as e:
        pr.parse_money(bad)
    assert e.value.reason


def test_season_of():
    assert pr.season_of("2026-09-01") == "2026-2027"
    assert pr.season_of("2027-05-31") == "2026-2027"
    with pytest.raises(pr.PassRegionError.InvalidArgument):
        pr.season_of("31/05/2027")


def test_category_label():
    assert pr.partner_category_label(pr.PartnerCategory.LIBRAIRIE)


def test_bad_signer_key_is_refused(tmp_path):
    class Short(pr.DeviceSigner):
        def public_key(self):
            return b"\x01" * 5

        def sign(self, message):
            return b""

    with pytest.raises(pr.PassRegionError.Key):
        pr.YouthClient("http://127.0.0.1:9", str(tmp_path / "y"), Short())


def test_not_logged_in_and_offline(tmp_path):
    youth = pr.YouthClient("http://127.0.0.1:9", str(tmp_path / "y"))
    with pytest.raises(pr.PassRegionError.NotLoggedIn):
        youth.refresh()
    with pytest.raises(pr.PassRegionError.Offline):
        youth.login("lea@demo.passregion.fr", "demo1234")
    assert youth.home().card is None
