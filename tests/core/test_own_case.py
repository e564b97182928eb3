"""Nobody decides their own case (core/parties.py), walked decision by decision.

Every decision the system has is a row of DECISIONS: how to build one pending case with
a user of each kind of party (each holding the role that decides, so only being a party
stands in the way), a non-party with the same role, and how to decide it through the API
and/or the admin. Each party is refused with 403 and its own code (the admin shows the
message) and nothing changes; the non-party decides.
"""

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from accounts.roles import Role
from accounts.services import role_grant
from accounts.sms import LocmemBackend
from cadres import services as cadres_services
from cadres.models import Cadre, Unit
from core.parties import OWN_CASE_ERRORS, Party
from desk import services as desk_services
from desk.models import DeskSession
from livestream import services as live_services
from livestream.models import Product, Session, Transfer
from merchants import services as merchant_services
from merchants.models import Statement
from moderation import services as moderation_services
from moderation.models import Appeal, FlagRule, ReviewFlag
from points import ledger
from points import services as points_services
from points.models import Account, Currency, MoralCategory, MoralClaim
from rankings.models import BottomWarning, RankingMonth
from stalls import services as stall_services
from stalls.models import Inspection, Registration, Stall, StallAppeal, StallReport
from tests.forms import nonce_for
from tests.stalls.conftest import id_number, make_site_for

pytestmark = pytest.mark.django_db

_serial = itertools.count(1)
OCTOBER = dt.date(2026, 10, 1)
REASON = "评价人当天并未来窗口办理业务，与事实不符。"


def grant(user, role, **links):
    return role_grant(phone=user.phone, role=role, links=links or None)


def evidence(name="receipt.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 evidence", content_type="application/pdf")


@dataclass
class Case:
    """One pending case: its row, who is a party to it (label: (kind, user)), a non-party
    holding the same role."""

    row: object
    parties: dict[str, tuple[Party, object]]
    other: object


@dataclass(frozen=True)
class Decision:
    name: str
    build: Callable  # (make_user) -> Case
    parties: tuple[str, ...]  # the labels of the builder's parties
    state: Callable  # (row) -> what a decision changes
    api: Callable | None = None  # (APIClient, row) -> Response
    admin: Callable | None = None  # (Client, row) -> HttpResponse (followed)
    api_ok: tuple[int, ...] = (200,)


# --- Builders: one pending case each -----------------------------------------------------


def _moral_category():
    return MoralCategory.objects.create(
        code=f"help{next(_serial)}", name="助人为乐", min_points=5, max_points=50
    )


def moral_claim(make_user, *, decider=Role.MORAL_REVIEWER, approved=False):
    claimant = make_user(decider)
    agent = make_user(Role.DESK_AGENT, decider)
    claim = points_services.moral_claim_create(
        resident=claimant,
        category=_moral_category(),
        description="扶老人过马路",
        occurred_on=timezone.localdate(),
        filed_by=agent,
    )
    if approved:
        points_services.moral_claim_approve(
            claim_id=claim.pk, reviewer=make_user(Role.MORAL_REVIEWER), points=10
        )
        claim.refresh_from_db()
    return Case(
        claim,
        {"claimant": (Party.SUBJECT, claimant), "desk agent": (Party.RECORDER, agent)},
        make_user(decider),
    )


def _stalls_unit():
    return Unit.objects.create(name=f"城管大队{next(_serial)}", kind="urban_management")


def _registration(site, vendor, filed_by=None):
    return stall_services.registration_create(
        vendor=vendor,
        site=site,
        vendor_name="赵六",
        id_number=id_number(),
        goods_category=site.goods_categories[0],
        filed_by=filed_by,
    )


def registration(make_user):
    unit = _stalls_unit()
    vendor = make_user(Role.URBAN_OFFICER, unit=unit.pk)
    agent = make_user(Role.URBAN_OFFICER, unit=unit.pk)
    grant(agent, Role.DESK_AGENT)
    row = _registration(make_site_for(unit), vendor, filed_by=agent)
    return Case(
        row,
        {"vendor": (Party.SUBJECT, vendor), "desk agent": (Party.RECORDER, agent)},
        make_user(Role.URBAN_OFFICER, unit=unit.pk),
    )


def _officers_stall(make_user, *, violations=0):
    """An officer's own stall at their unit's site, approved and inspected by a colleague."""
    unit = _stalls_unit()
    vendor = make_user(Role.URBAN_OFFICER, unit=unit.pk)
    colleague = make_user(Role.URBAN_OFFICER, unit=unit.pk)
    row = _registration(make_site_for(unit), vendor)
    stall = stall_services.registration_approve(registration=row, officer=colleague, slot=1)
    for _ in range(violations):
        stall_services.inspection_record(stall=stall, officer=colleague, result="violation")
    stall.refresh_from_db()
    return unit, vendor, colleague, stall


def stall_inspection(make_user):
    unit, vendor, _colleague, stall = _officers_stall(make_user)
    return Case(
        stall, {"vendor": (Party.SUBJECT, vendor)}, make_user(Role.URBAN_OFFICER, unit=unit.pk)
    )


def suspended_stall(make_user):
    unit, vendor, _colleague, stall = _officers_stall(make_user, violations=3)
    assert stall.status == Stall.Status.SUSPENDED
    return Case(
        stall, {"vendor": (Party.SUBJECT, vendor)}, make_user(Role.URBAN_OFFICER, unit=unit.pk)
    )


def stall_report(make_user):
    unit, vendor, _colleague, stall = _officers_stall(make_user)
    reporter = make_user(Role.URBAN_OFFICER, unit=unit.pk)
    report = stall_services.report_create(stall=stall, reporter=reporter, category="hygiene")
    return Case(
        report,
        {"reporter": (Party.AUTHOR, reporter), "vendor": (Party.SUBJECT, vendor)},
        make_user(Role.URBAN_OFFICER, unit=unit.pk),
    )


def stall_appeal(make_user):
    unit, vendor, colleague, stall = _officers_stall(make_user, violations=3)
    appeal = stall_services.appeal_create(stall=stall, vendor=vendor, reason="那天没出摊")
    return Case(
        appeal,
        {"vendor": (Party.SUBJECT, vendor), "officer who recorded": (Party.RECORDER, colleague)},
        make_user(Role.URBAN_OFFICER, unit=unit.pk),
    )


def review_with_parties(make_user, decider):
    """A bad review of a cadre whose user, the reviewer and a colleague all hold `decider`."""
    unit = Unit.objects.create(name=f"文旅局{next(_serial)}")
    cadre = Cadre.objects.create(unit=unit, name="王丽娜", employee_number=f"W{next(_serial)}")
    colleague = Cadre.objects.create(unit=unit, name="李娜", employee_number=f"W{next(_serial)}")
    cadre_user = make_user(Role.CADRE, cadre=cadre.pk)
    colleague_user = make_user(Role.CADRE, cadre=colleague.pk)
    reviewer = make_user(decider)
    for user in (cadre_user, colleague_user):
        grant(user, decider)
    review = cadres_services.review_create(
        cadre=cadre, reviewer=reviewer, rating=1, comment="太慢了"
    )
    parties = {
        "reviewer": (Party.AUTHOR, reviewer),
        "cadre": (Party.SUBJECT, cadre_user),
        "colleague": (Party.UNIT, colleague_user),
    }
    return review, cadre_user, parties


def review_appeal(make_user):
    review, cadre_user, parties = review_with_parties(make_user, Role.APPEAL_REVIEWER)
    appeal = moderation_services.appeal_create(review=review, appellant=cadre_user, reason=REASON)
    return Case(appeal, parties, make_user(Role.APPEAL_REVIEWER))


def review_flag(make_user):
    review, _cadre_user, parties = review_with_parties(make_user, Role.RATING_MODERATOR)
    flag = ReviewFlag.objects.create(
        review=review, rule=FlagRule.DEVICE, detail={"cadres": 6}, created_at=timezone.now()
    )
    return Case(flag, parties, make_user(Role.RATING_MODERATOR))


def bottom_warning(make_user):
    unit = Unit.objects.create(name=f"住建局{next(_serial)}")
    cadre = Cadre.objects.create(unit=unit, name="刘志强", employee_number=f"B{next(_serial)}")
    warned = make_user(Role.CADRE, cadre=cadre.pk)
    grant(warned, Role.UNIT_ADMIN, unit=unit.pk)
    ranking = RankingMonth.objects.create(month=OCTOBER, compiled_at=timezone.now())
    warning = BottomWarning.objects.create(
        ranking=ranking,
        kind=BottomWarning.Kind.TALK,
        scope="cadre",
        unit=unit,
        cadre=cadre,
        name=cadre.name,
        streak=2,
        created_at=timezone.now(),
    )
    return Case(
        warning, {"warned cadre": (Party.SUBJECT, warned)}, make_user(Role.UNIT_ADMIN, unit=unit.pk)
    )


def _live_session(make_user, *, held):
    unit = Unit.objects.create(name=f"商务局{next(_serial)}")
    host = Cadre.objects.create(unit=unit, name="李晓燕", employee_number=f"L{next(_serial)}")
    co_host = Cadre.objects.create(unit=unit, name="王丽", employee_number=f"L{next(_serial)}")
    operator = make_user(Role.LIVE_OPERATOR)
    session = live_services.session_plan(
        user=operator,
        title="羊绒专场",
        unit=unit,
        starts_at=timezone.now() - dt.timedelta(hours=3),
        platform="duoduopin",
        hosts=[host, co_host],
        products=[Product.objects.get_or_create(name="羊绒围巾")[0]],
    )
    if held:
        session = live_services.session_outcome_record(
            user=operator,
            session=session,
            duration_minutes=120,
            peak_viewers=8000,
            orders=1600,
            sales=Decimal("150000.00"),
            evidence=evidence("outcome.pdf"),
        )
    return unit, host, co_host, operator, session


def live_outcome(make_user):
    _unit, _host, co_host, _operator, session = _live_session(make_user, held=False)
    operator_host = make_user(Role.CADRE, cadre=co_host.pk)
    grant(operator_host, Role.LIVE_OPERATOR)
    return Case(session, {"host": (Party.HOST, operator_host)}, make_user(Role.LIVE_OPERATOR))


def live_transfer(make_user):
    unit, host, co_host, operator, session = _live_session(make_user, held=True)
    income = live_services.income_record(
        user=operator,
        session=session,
        cadre=host,
        kind="commission",
        amount=Decimal("1500.00"),
        received_on=timezone.localdate(),
    )
    unit_admin = make_user(Role.UNIT_ADMIN, unit=unit.pk)
    transfer = live_services.transfer_record(
        user=unit_admin,
        income=income,
        amount=income.amount,
        fund="康巴什区慈善总会",
        reference="CS-0001",
        transferred_on=timezone.localdate(),
        evidence=evidence(),
    )
    host_user = make_user(Role.CADRE, cadre=host.pk)
    co_host_user = make_user(Role.CADRE, cadre=co_host.pk)
    for user in (host_user, co_host_user, unit_admin, operator):
        grant(user, Role.DISCIPLINE_INSPECTOR)
    return Case(
        transfer,
        {
            "cadre whose income": (Party.SUBJECT, host_user),
            "co-host": (Party.HOST, co_host_user),
            "recorder of the transfer": (Party.RECORDER, unit_admin),
            "recorder of the income": (Party.RECORDER, operator),
        },
        make_user(Role.DISCIPLINE_INSPECTOR),
    )


def statement(make_user, *, confirmed=False):
    merchant = points_services.merchant_create(name=f"鄂尔多斯羊绒店{next(_serial)}")
    staff = make_user(Role.MERCHANT, merchant=merchant.pk)
    grant(staff, Role.FINANCE)
    row = merchant_services.statement_build(merchant=merchant, month=OCTOBER)
    if confirmed:
        row = merchant_services.statement_confirm(
            statement_id=row.pk, actor=make_user(Role.FINANCE)
        )
    return Case(row, {"merchant staff": (Party.SUBJECT, staff)}, make_user(Role.FINANCE))


def adjustment(make_user):
    admin = make_user(Role.DISTRICT_ADMIN)
    account = ledger.resident_account(user=admin, currency=Currency.REDEEMABLE)
    return Case(account, {"account holder": (Party.SUBJECT, admin)}, make_user(Role.DISTRICT_ADMIN))


# --- How each decision is taken ----------------------------------------------------------


def decide_registration_admin(verb):
    def post(client, registration):
        url = reverse("admin:stalls_registration_decide", args=[registration.pk])
        body = {"slot": "1", verb: "1"} if verb == "approve" else {"reason": "不合规", verb: "1"}
        return client.post(url, body, follow=True)

    return post


def inspect_admin(client, stall):
    return client.post(
        "/admin/stalls/inspection/add/", {"stall": stall.pk, "result": "pass"}, follow=True
    )


def adjust_admin(client, account):
    url = reverse("admin:points_account_adjust", args=[account.pk])
    return client.post(url, {"amount": 100, "reason": "补发"}, follow=True)


def appeal_decide_admin(client, appeal):
    url = reverse("admin:moderation_appeal_decide", args=[appeal.pk])
    return client.post(url, {"reason": "核实", "dismiss": "1"}, follow=True)


def changelist_action(model, action, query="", **fields):
    """The admin's changelist action `action` on one row (`query` keeps the row listed)."""

    def post(client, row):
        return client.post(
            f"/admin/{model}/{query}",
            {"action": action, "_selected_action": [row.pk], **fields},
            follow=True,
        )

    return post


def api_post(path, body=None):
    """A JSON POST to `path`, whose `{pk}` is the case's row."""

    def post(client, row):
        return client.post(path.format(pk=row.pk), body, format="json")

    return post


def outcome_api(client, session):
    return client.post(
        f"/api/v1/livestream/sessions/{session.pk}/outcome",
        {
            "duration_minutes": 60,
            "peak_viewers": 100,
            "orders": 10,
            "sales": "1000.00",
            "evidence": evidence("outcome.pdf"),
        },
        format="multipart",
    )


def _status(model):
    return lambda row: model.objects.filter(pk=row.pk).values_list("status", flat=True).first()


CLAIM = ("claimant", "desk agent")
OPEN = "?state__exact=open"
REVIEW = ("reviewer", "cadre", "colleague")
TRANSFER = ("cadre whose income", "co-host", "recorder of the transfer", "recorder of the income")

DECISIONS = [
    Decision(
        "moral claim approve",
        moral_claim,
        CLAIM,
        _status(MoralClaim),
        api=api_post("/api/v1/points/moral/claims/{pk}/approve", {"points": 10}),
        admin=changelist_action("points/moralclaim", "approve", apply="1", points=10),
    ),
    Decision(
        "moral claim reject",
        moral_claim,
        CLAIM,
        _status(MoralClaim),
        api=api_post("/api/v1/points/moral/claims/{pk}/reject", {"reason": "不实"}),
        admin=changelist_action("points/moralclaim", "reject", apply="1", reason="不实"),
    ),
    Decision(
        "moral claim revoke",
        lambda make_user: moral_claim(make_user, decider=Role.DISTRICT_ADMIN, approved=True),
        CLAIM,
        _status(MoralClaim),
        admin=changelist_action(
            "points/moralclaim", "revoke", "?status=all", apply="1", reason="不实"
        ),
    ),
    Decision(
        "registration approve",
        registration,
        ("vendor", "desk agent"),
        _status(Registration),
        api=api_post("/api/v1/stalls/registrations/{pk}/approve", {"slot": 1}),
        admin=decide_registration_admin("approve"),
        api_ok=(201,),
    ),
    Decision(
        "registration reject",
        registration,
        ("vendor", "desk agent"),
        _status(Registration),
        api=api_post("/api/v1/stalls/registrations/{pk}/reject", {"reason": "不合规"}),
        admin=decide_registration_admin("reject"),
    ),
    Decision(
        "stall inspection",
        stall_inspection,
        ("vendor",),
        lambda stall: Inspection.objects.filter(stall=stall).count(),
        api=api_post("/api/v1/stalls/{pk}/inspections", {"result": "pass"}),
        admin=inspect_admin,
        api_ok=(201,),
    ),
    Decision(
        "stall reinstatement",
        suspended_stall,
        ("vendor",),
        _status(Stall),
        api=api_post("/api/v1/stalls/{pk}/reinstate", {"reason": "已整改"}),
        admin=changelist_action("stalls/stall", "reinstate", reason="已整改"),
    ),
    Decision(
        "stall report close",
        stall_report,
        ("reporter", "vendor"),
        _status(StallReport),
        api=api_post("/api/v1/stalls/reports/{pk}/close", {"resolution": "已处理"}),
        admin=changelist_action("stalls/stallreport", "close_reports", resolution="已处理"),
    ),
    Decision(
        "stall appeal decide",
        stall_appeal,
        ("vendor", "officer who recorded"),
        _status(StallAppeal),
        api=api_post("/api/v1/stalls/appeals/{pk}/decide", {"upheld": False, "reason": "核实"}),
        admin=changelist_action("stalls/stallappeal", "dismiss", reason="核实"),
    ),
    Decision(
        "review appeal decide",
        review_appeal,
        REVIEW,
        _status(Appeal),
        api=api_post("/api/v1/appeals/{pk}/decide", {"upheld": False, "reason": "核实"}),
        admin=appeal_decide_admin,
    ),
    Decision(
        "fraud flag exclude",
        review_flag,
        REVIEW,
        lambda flag: ReviewFlag.objects.get(pk=flag.pk).state,
        admin=changelist_action(
            "cadres/reviewflag", "exclude_reviews", OPEN, reason="核实", ground="fraud"
        ),
    ),
    Decision(
        "fraud flag clear",
        review_flag,
        REVIEW,
        lambda flag: ReviewFlag.objects.get(pk=flag.pk).state,
        admin=changelist_action("cadres/reviewflag", "clear_flags", OPEN, reason="核实"),
    ),
    Decision(
        "bottom warning",
        bottom_warning,
        ("warned cadre",),
        lambda warning: BottomWarning.objects.get(pk=warning.pk).state,
        admin=changelist_action("cadres/bottomwarning", "mark_talk_held", note="已谈话"),
    ),
    Decision(
        "livestream outcome",
        live_outcome,
        ("host",),
        lambda session: Session.objects.get(pk=session.pk).outcome_recorded_at,
        api=outcome_api,
    ),
    Decision(
        "livestream transfer confirm",
        live_transfer,
        TRANSFER,
        _status(Transfer),
        api=api_post("/api/v1/livestream/transfers/{pk}/confirm"),
        admin=changelist_action("livestream/transfer", "confirm"),
    ),
    Decision(
        "livestream transfer reject",
        live_transfer,
        TRANSFER,
        _status(Transfer),
        api=api_post("/api/v1/livestream/transfers/{pk}/reject", {"reason": "凭证不符"}),
    ),
    Decision(
        "statement confirm",
        statement,
        ("merchant staff",),
        _status(Statement),
        api=api_post("/api/v1/settlement/statements/{pk}/confirm"),
        admin=changelist_action("merchants/statement", "confirm_statements"),
    ),
    Decision(
        "statement pay",
        lambda make_user: statement(make_user, confirmed=True),
        ("merchant staff",),
        _status(Statement),
        api=api_post("/api/v1/settlement/statements/{pk}/pay", {"reference": "ICBC-77"}),
        admin=changelist_action("merchants/statement", "pay_statements", reference="ICBC-77"),
    ),
    Decision(
        "points adjustment",
        adjustment,
        ("account holder",),
        lambda account: Account.objects.get(pk=account.pk).balance,
        admin=adjust_admin,
    ),
]

API_ROWS = [
    pytest.param(decision, label, id=f"{decision.name}: {label}")
    for decision in DECISIONS
    if decision.api is not None
    for label in decision.parties
]
ADMIN_ROWS = [
    pytest.param(decision, label, id=f"{decision.name}: {label}")
    for decision in DECISIONS
    if decision.admin is not None
    for label in decision.parties
]


class AdminClient(Client):
    """A signed-in admin whose every POST carries a fresh form nonce, as the admin's
    own forms do (core/form_nonces.py)."""

    def __init__(self, user):
        super().__init__(HTTP_ACCEPT_LANGUAGE="zh-hans")
        self.user = user
        self.force_login(user)

    def post(self, path, data=None, **kwargs):
        return super().post(path, {**(data or {}), **nonce_for(self.user)}, **kwargs)


def admin_client(user) -> Client:
    return AdminClient(user)


def zh(party: Party) -> str:
    with translation.override("zh-hans"):
        return str(OWN_CASE_ERRORS[party].default_detail)


@pytest.mark.parametrize(("decision", "label"), API_ROWS)
def test_it_refuses_a_party_in_the_api_with_the_partys_code(
    decision, label, make_user, client_for, settings, tmp_path
):
    """A party to the case, holding the deciding role: 403 `own_case_<kind>`, nothing
    changes."""
    settings.MEDIA_ROOT = tmp_path
    case = decision.build(make_user)
    party, user = case.parties[label]
    before = decision.state(case.row)
    response = decision.api(client_for(user), case.row)
    assert response.status_code == 403, response.content[:300]
    assert response.json()["code"] == f"own_case_{party}"
    assert decision.state(case.row) == before


@pytest.mark.parametrize(("decision", "label"), ADMIN_ROWS)
def test_it_refuses_a_party_in_the_admin_and_says_why(
    decision, label, make_user, settings, tmp_path
):
    """The same party in the admin's action or decide form: the page shows the refusal
    and nothing changes."""
    settings.MEDIA_ROOT = tmp_path
    case = decision.build(make_user)
    party, user = case.parties[label]
    before = decision.state(case.row)
    response = decision.admin(admin_client(user), case.row)
    assert response.status_code == 200
    assert zh(party) in response.content.decode()
    assert decision.state(case.row) == before


@pytest.mark.parametrize("decision", [pytest.param(d, id=d.name) for d in DECISIONS])
def test_a_non_party_with_the_same_role_decides(
    decision, make_user, client_for, settings, tmp_path
):
    """The same decision by someone who is no party: it goes through (API and admin)."""
    settings.MEDIA_ROOT = tmp_path
    if decision.api is not None:
        case = decision.build(make_user)
        before = decision.state(case.row)
        response = decision.api(client_for(case.other), case.row)
        assert response.status_code in decision.api_ok, response.content[:300]
        assert decision.state(case.row) != before
    if decision.admin is not None:
        case = decision.build(make_user)
        before = decision.state(case.row)
        response = decision.admin(admin_client(case.other), case.row)
        assert response.status_code == 200
        for party in Party:
            assert zh(party) not in response.content.decode()
        assert decision.state(case.row) != before


# --- Desk acts: an agent never acts for themself ------------------------------------------


def test_it_refuses_a_desk_session_for_the_agents_own_phone(make_user, client_for):
    agent = make_user(Role.DESK_AGENT)
    response = client_for(agent).post(
        "/api/v1/desk/sessions", {"phone": agent.phone}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "own_case_subject"
    assert not DeskSession.objects.exists()


def test_another_agent_opens_a_session_for_that_phone(make_user, client_for):
    agent = make_user(Role.DESK_AGENT)
    other = make_user(Role.DESK_AGENT)
    response = client_for(other).post(
        "/api/v1/desk/sessions", {"phone": agent.phone}, format="json"
    )
    assert response.status_code == 201, response.content[:300]
    assert DeskSession.objects.get().agent == other


def test_it_records_the_desk_agent_who_files_a_claim_or_registration(
    make_user, django_capture_on_commit_callbacks
):
    """What a desk files carries its agent, who is then a party to it (the rows above)."""
    agent = make_user(Role.DESK_AGENT)
    resident = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        session = desk_services.desk_session_start(
            agent=agent, phone=resident.phone, address="1.2.3.4"
        )
    code = [m["code"] for m in LocmemBackend.outbox if m["phone"] == resident.phone][-1]
    desk_services.desk_session_confirm_code(session_id=session.pk, code=code, address="1.2.3.4")
    claim = desk_services.assisted_moral_claim_create(
        session_id=session.pk,
        agent=agent,
        category=_moral_category(),
        description="扶老人过马路",
        occurred_on=timezone.localdate(),
    )
    site = make_site_for(_stalls_unit())
    registration_row = desk_services.assisted_registration_create(
        session_id=session.pk,
        agent=agent,
        site=site,
        vendor_name="赵六",
        id_number=id_number(),
        goods_category=site.goods_categories[0],
        id_consent=True,
    )
    assert (claim.resident, claim.filed_by) == (resident, agent)
    assert (registration_row.vendor, registration_row.filed_by) == (resident, agent)
