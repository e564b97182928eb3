"""What notifications declares to the registries below it (core.registrations)."""

from accounts.roles import Role

ROLE_PERMISSIONS = {
    Role.DISTRICT_ADMIN: [
        "notifications.view_notification",
        "notifications.view_broadcast",
        "notifications.add_broadcast",
    ],
}
