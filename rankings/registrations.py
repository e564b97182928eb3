"""What rankings declares to the registries below it (core.registrations)."""

from accounts.roles import Role

ROLE_PERMISSIONS = {
    Role.UNIT_ADMIN: ["rankings.view_bottomwarning", "rankings.change_bottomwarning"],
    Role.DISTRICT_ADMIN: [
        "rankings.view_rankingmonth",
        "rankings.change_rankingmonth",
        "rankings.view_rankingentry",
        "rankings.view_bottomwarning",
        "rankings.change_bottomwarning",
    ],
}
