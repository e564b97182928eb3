"""core.rows.by_pk: the badge's cadre read without the ORM's compiler, as the ORM reads it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cadres.models import Cadre, Unit
from core.rows import MAX_PK, by_pk
from stalls.models import Site
from tests.stalls.conftest import make_site_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit(db):
    return Unit.objects.create(name="康巴什区文化和旅游局", kind=Unit.Kind.BUREAU)


@pytest.fixture
def cadre(unit):
    return Cadre.objects.create(unit=unit, name="王丽娜", title="科员", employee_number="E000001")


def test_it_reads_the_row_and_its_unit_in_one_select_as_the_orm_does(cadre):
    with CaptureQueriesContext(connection) as queries:
        found = by_pk(Cadre, cadre.pk, related="unit")
        unit_name = found.unit.name  # cached, as select_related caches it
    assert len(queries.captured_queries) == 1
    expected = Cadre.objects.select_related("unit").get(pk=cadre.pk)
    fields = [field.attname for field in Cadre._meta.concrete_fields]
    assert [getattr(found, name) for name in fields] == [getattr(expected, name) for name in fields]
    assert unit_name == expected.unit.name
    assert found.unit.pk == expected.unit_id
    assert found._state.adding is False and found._state.db == "default"
    found.name = "改名"
    found.save(update_fields=["name"])
    assert Cadre.objects.get(pk=cadre.pk).name == "改名"


def test_it_answers_none_for_no_such_row(cadre):
    assert by_pk(Cadre, cadre.pk + 1000, related="unit") is None
    with CaptureQueriesContext(connection) as queries:
        assert by_pk(Cadre, MAX_PK + 1) is None
        assert by_pk(Cadre, 0) is None
    assert queries.captured_queries == []


def test_it_reads_a_model_without_a_related_row(unit):
    site = make_site_for(unit, name="乌兰木伦湖夜市", capacity=3)
    found = by_pk(Site, site.pk)
    expected = Site.objects.get(pk=site.pk)
    fields = [field.attname for field in Site._meta.concrete_fields]
    # JSON, decimals, times: each value converted as the ORM converts it.
    assert [getattr(found, name) for name in fields] == [getattr(expected, name) for name in fields]
    assert found.goods_categories == site.goods_categories and found.capacity == 3
