"""A double tap of a desk form (one session, one nonce, real threads against PostgreSQL)
files its act once, and every tap shows the first's outcome; a form without its nonce
files nothing."""

import pytest

from cadres.models import Review
from desk import services
from desk.models import AssistedAct, DeskSession
from points.models import MoralClaim
from points.verification import ledger_verify
from stalls.models import Registration
from tests.conftest import next_phone
from tests.forms import signed_in, tapped_at_once, texts

from .conftest import id_number


def confirmed_session(agent) -> int:
    """A session for a new resident, confirmed by the ID check that makes their account."""
    session = services.desk_session_start(agent=agent, phone=next_phone(), address="10.7.0.1")
    services.desk_session_confirm_id(
        session_id=session.pk, id_number=id_number(), name="李", id_consent=True
    )
    return session.pk


def acts_filed() -> int:
    return AssistedAct.objects.exclude(kind=AssistedAct.Kind.ACCOUNT_CREATED).count()


@pytest.mark.parametrize(
    "form, data, done",
    [
        ("review", lambda ctx: {"code": ctx["badge"], "rating": "4"}, "评价已提交"),
        (
            "moral-claim",
            lambda ctx: {
                "category": ctx["category"].code,
                "description": "扶老人过马路",
                "occurred_on": "2026-11-02",
            },
            "道德积分申报已提交",
        ),
        (
            "stall-registration",
            lambda ctx: {
                "site_code": ctx["site_code"],
                "vendor_name": "李秀英",
                "id_number": id_number("19660101"),
                "goods_category": "fruit_vegetables",
                "id_consent": "on",
            },
            "摊位登记已提交",
        ),
    ],
)
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_files_a_desk_act_once_for_a_double_tap(
    agent, badge, category, site_code, form, data, done
):
    session = confirmed_session(agent)
    context = {"badge": badge, "category": category, "site_code": site_code}
    responses = tapped_at_once(agent, f"/desk/sessions/{session}/{form}", data(context))
    assert acts_filed() == 1
    assert Review.objects.count() + MoralClaim.objects.count() + Registration.objects.count() == 1
    assert all(done in page for page in texts(responses))
    assert ledger_verify().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_confirms_a_desk_session_once_for_a_double_tap(agent):
    session = services.desk_session_start(agent=agent, phone=next_phone(), address="10.7.0.1")
    responses = tapped_at_once(
        agent,
        f"/desk/sessions/{session.pk}/confirm",
        {"method": "id_check", "id_number": id_number(), "name": "李", "id_consent": "on"},
    )
    session.refresh_from_db()
    assert session.status == DeskSession.Status.ACTIVE
    assert all("已确认：现在可以为居民代办" in page for page in texts(responses))


@pytest.mark.django_db
def test_it_files_nothing_from_a_desk_form_without_its_nonce(agent, badge):
    session = confirmed_session(agent)
    page = signed_in(agent).post(
        f"/desk/sessions/{session}/review", {"code": badge, "rating": "4"}, follow=True
    )
    assert "此表单已过期或不完整" in page.content.decode()
    assert not Review.objects.exists()
    assert acts_filed() == 0
