"""Demo data: a desk agent at a community service centre, and a resident to help."""

from accounts.roles import Role
from accounts.services import role_grant, user_get_or_create

AGENT_PHONE = "+8613847700036"
# A resident the agent can act for: open a session for this phone, and the code the
# resident would read back is printed on the console (SMS_BACKEND=console).
RESIDENT_PHONE = "+8613847700040"


def run() -> str:
    user_get_or_create(phone=AGENT_PHONE, display_name="社区服务中心张德明")
    role_grant(phone=AGENT_PHONE, role=Role.DESK_AGENT)
    user_get_or_create(phone=RESIDENT_PHONE, display_name="李奶奶")
    return f"desk agent {AGENT_PHONE}, a resident to assist {RESIDENT_PHONE}"
