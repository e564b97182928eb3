"""What notifications declares to the registries below it (core.registrations)."""

from accounts.roles import Role

ROLE_PERMISSIONS = {
    Role.DISTRICT_ADMIN: [
        "notifications.view_notification",
        "notifications.view_broadcast",
        "notifications.add_broadcast",
    ],
}


# What an anonymised account loses (privacy.erasure, docs/privacy.md): {model: (the
# lookup from the model to the user, or to the user's phone when it ends in "phone";
# {column: value} to overwrite, or None to delete the rows)}.
PERSONAL_DATA = {
    "notifications.Notification": ("user", None),
    "notifications.Preference": ("user", None),
}
