from .models import OtpCode, User


def user_roles(*, user: User) -> list[str]:
    """The user's roles in the order of Role; everyone is a resident."""
    return user.roles


def user_has_role(*, user, role: str) -> bool:
    return bool(user and user.is_authenticated) and role in user_roles(user=user)


def otp_sms_unknown_count() -> int:
    """Sign-in codes whose SMS has an unknown outcome (its sender stopped mid-way)."""
    return OtpCode.objects.filter(sms_status=OtpCode.Sms.UNKNOWN).count()
