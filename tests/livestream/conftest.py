"""Livestream fixtures: two units, a division-level cadre (signed in as `host_user`) and a
section-level one, the operator, the discipline inspector, unit and district admins."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.roles import Role
from cadres.models import Cadre, CadreRank, Unit
from livestream import services
from livestream.models import Product

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def evidence(name="receipt.pdf", content=b"%PDF-1.4 evidence"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def unit(db):
    return Unit.objects.create(name="康巴什区文化和旅游局")


@pytest.fixture
def other_unit(db):
    return Unit.objects.create(name="康巴什区住房和城乡建设局")


@pytest.fixture
def division_cadre(unit):
    return Cadre.objects.create(
        unit=unit, name="李晓燕", title="主任", employee_number="L001", rank=CadreRank.DIVISION
    )


@pytest.fixture
def section_cadre(unit):
    return Cadre.objects.create(unit=unit, name="王丽娜", title="科员", employee_number="L002")


@pytest.fixture
def other_cadre(other_unit):
    return Cadre.objects.create(
        unit=other_unit, name="刘志强", employee_number="L003", rank=CadreRank.DIVISION
    )


@pytest.fixture
def products(db):
    return [Product.objects.get_or_create(name=name)[0] for name in ("羊绒围巾", "沙棘汁", "酸杏")]


@pytest.fixture
def operator(make_user):
    return make_user(Role.LIVE_OPERATOR, display_name="Olga")


@pytest.fixture
def inspector(make_user):
    return make_user(Role.DISCIPLINE_INSPECTOR, display_name="Ivan")


@pytest.fixture
def unit_admin(make_user, unit):
    return make_user(Role.UNIT_ADMIN, display_name="Uma", unit=unit.pk)


@pytest.fixture
def other_unit_admin(make_user, other_unit):
    return make_user(Role.UNIT_ADMIN, display_name="Otto", unit=other_unit.pk)


@pytest.fixture
def district_admin(make_user):
    return make_user(Role.DISTRICT_ADMIN, display_name="Dora")


@pytest.fixture
def host_user(make_user, division_cadre):
    """The division-level cadre, signed in."""
    return make_user(Role.CADRE, display_name="Li", cadre=division_cadre.pk)


@pytest.fixture
def make_session(operator, unit, division_cadre, products):
    def make(
        starts_at=dt.datetime(2026, 3, 10, 20, 0, tzinfo=SHANGHAI),
        hosts=None,
        held=True,
        sales="150000.00",
    ):
        session = services.session_plan(
            user=operator,
            title="羊绒专场",
            unit=unit,
            starts_at=starts_at,
            platform="duoduopin",
            hosts=hosts or [division_cadre],
            products=products[:2],
        )
        if held:
            session = services.session_outcome_record(
                user=operator,
                session=session,
                duration_minutes=120,
                peak_viewers=8000,
                orders=1600,
                sales=Decimal(sales),
                evidence=evidence("outcome.pdf"),
            )
        return session

    return make


@pytest.fixture
def make_income(operator, division_cadre):
    def make(session, amount="1500.00", received_on=dt.date(2026, 3, 12), cadre=None):
        return services.income_record(
            user=operator,
            session=session,
            cadre=cadre or division_cadre,
            kind="commission",
            amount=Decimal(amount),
            received_on=received_on,
        )

    return make


@pytest.fixture
def make_transfer(operator):
    def make(income, amount=None, by=None):
        return services.transfer_record(
            user=by or operator,
            income=income,
            amount=Decimal(amount or income.amount),
            fund="康巴什区慈善总会",
            reference="CS-0001",
            transferred_on=dt.date(2026, 3, 15),
            evidence=evidence(),
        )

    return make
