"""What moderation declares to the registries below it (core.registrations)."""

from accounts.roles import Role

ROLE_PERMISSIONS = {
    Role.RATING_MODERATOR: ["moderation.view_reviewflag", "moderation.change_reviewflag"],
    Role.DISTRICT_ADMIN: [
        "moderation.view_reviewflag",
        "moderation.change_reviewflag",
        "moderation.view_appeal",
    ]
    + [f"moderation.{action}_holiday" for action in ("view", "add", "change", "delete")],
    # Appeals are decided in the admin (through services.appeal_decide), never edited.
    Role.APPEAL_REVIEWER: ["moderation.view_appeal"],
}
