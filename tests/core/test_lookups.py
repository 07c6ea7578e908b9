"""`field__among`: membership in a long list bound as one parameter (sqm/core/lookups.py)."""

import pytest

from sqm.network.models import Olt
from tests.factories import OltFactory

pytestmark = pytest.mark.django_db


def test_among_matches_the_listed_codes_and_ids_only():
    a, b = OltFactory(olt_id="OLT-A"), OltFactory(olt_id="OLT-B")
    OltFactory(olt_id="OLT-C")
    assert set(Olt.objects.filter(olt_id__among=["OLT-A", "OLT-B", "OLT-Z"])) == {a, b}
    assert set(Olt.objects.filter(pk__among=(a.pk,))) == {a}


def test_among_an_empty_list_matches_nothing():
    OltFactory()
    assert not Olt.objects.filter(pk__among=[]).exists()


def test_among_takes_thousands_of_values_in_one_parameter():
    a = OltFactory(olt_id="OLT-A")
    codes = [f"OLT-{n}" for n in range(20_000)] + ["OLT-A"]
    assert list(Olt.objects.filter(olt_id__among=codes)) == [a]
