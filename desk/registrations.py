"""What desk declares to the registries below it (core.registrations)."""

from accounts.roles import Role

ROLE_PERMISSIONS = {
    Role.DISTRICT_ADMIN: ["desk.view_assistedact", "desk.view_desksession", "desk.view_agentflag"],
}
