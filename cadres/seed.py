"""Demo units of Kangbashi with a few cadres each (idempotent: natural keys)."""

from accounts.roles import Role
from accounts.services import role_grant, user_get_or_create

from .models import Cadre, Unit

URBAN_MANAGEMENT = "康巴什区城市管理综合执法局"

UNITS = [
    (
        "康巴什区文化和旅游局",
        Unit.Kind.BUREAU,
        [("王丽娜", "科员"), ("张建军", "文物保护科科长"), ("李晓燕", "旅游服务中心主任")],
    ),
    (
        "康巴什区住房和城乡建设局",
        Unit.Kind.BUREAU,
        [("刘志强", "物业管理科科长"), ("陈静", "窗口服务人员"), ("赵海涛", "建设工程质量监督员")],
    ),
    (
        URBAN_MANAGEMENT,
        Unit.Kind.URBAN_MANAGEMENT,
        [
            ("巴特尔", "执法中队队长"),
            ("孙丽", "执法队员"),
            ("高明", "执法队员"),
            ("乌云其其格", "便民摊点管理员"),
        ],
    ),
    (
        "鄂尔多斯市公安局康巴什分局",
        Unit.Kind.PUBLIC_SECURITY,
        [("郭伟", "户籍窗口民警"), ("杨帆", "社区民警"), ("马春梅", "出入境窗口民警")],
    ),
    (
        "康巴什区哈巴格希街道办事处",
        Unit.Kind.STREET_OFFICE,
        [("周婷", "社区网格员"), ("吴俊", "便民服务中心主任")],
    ),
    (
        "康巴什区青春山街道办事处",
        Unit.Kind.STREET_OFFICE,
        [("郑敏", "社区网格员"), ("何磊", "民政专干")],
    ),
    (
        "康巴什区滨河街道办事处",
        Unit.Kind.STREET_OFFICE,
        [("冯雪", "社区网格员"), ("萨仁", "社会保障专干")],
    ),
]

# Urban officers sign in with these demo numbers: each is linked to a cadre record and
# to the urban-management unit, so vendors' reviews of an officer land on a cadre.
OFFICER_PHONES = ["+8613847700001", "+8613847700002", "+8613847700003"]
UNIT_ADMIN_PHONE = "+8613847700010"
# Who decides appeals of reviews and who moderates ratings (seed_demo prints them).
DEMO_PEOPLE = [
    ("+8613847700034", Role.APPEAL_REVIEWER, "申诉复核员"),
    ("+8613847700035", Role.RATING_MODERATOR, "评价审核员"),
]


def run() -> str:
    units = cadres = 0
    for index, (name, kind, people) in enumerate(UNITS, start=1):
        unit, created = Unit.objects.get_or_create(name=name, defaults={"kind": kind})
        units += created
        for number, (cadre_name, title) in enumerate(people, start=1):
            _cadre, created = Cadre.objects.get_or_create(
                employee_number=f"KBS-{index:02d}{number:03d}",
                defaults={"name": cadre_name, "title": title, "unit": unit},
            )
            cadres += created
    urban = Unit.objects.get(name=URBAN_MANAGEMENT)
    officers = list(urban.cadres.order_by("employee_number")[: len(OFFICER_PHONES)])
    for phone, cadre in zip(OFFICER_PHONES, officers, strict=False):
        if cadre.user_id is None:
            role_grant(phone=phone, role=Role.URBAN_OFFICER, links={"unit": urban.pk})
            role_grant(phone=phone, role=Role.CADRE, links={"cadre": cadre.pk})
    culture = Unit.objects.get(name=UNITS[0][0])
    role_grant(phone=UNIT_ADMIN_PHONE, role=Role.UNIT_ADMIN, links={"unit": culture.pk})
    for phone, role, name in DEMO_PEOPLE:
        user_get_or_create(phone=phone, display_name=name)
        role_grant(phone=phone, role=role)
    return (
        f"{units} units and {cadres} cadres added "
        f"({Unit.objects.count()} units, {Cadre.objects.count()} cadres in all)"
    )
