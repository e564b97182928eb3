"""What desk declares to the registries below it (core.registrations)."""

from accounts.roles import Role

ROLE_PERMISSIONS = {
    Role.DISTRICT_ADMIN: ["desk.view_assistedact", "desk.view_desksession", "desk.view_agentflag"],
}


# What an anonymised account loses (privacy.erasure, docs/privacy.md): the acts stay
# counted, the sessions lose the phone and the ID check.
PERSONAL_DATA = {
    "desk.DeskSession": (
        "phone",
        {"phone": "", "id_number_hash": "", "id_number_last4": "", "id_name": ""},
    ),
}
