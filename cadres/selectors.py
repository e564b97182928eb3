from .models import UnitMembership


def unit_ids_for(*, user, role: str) -> set[int]:
    """The units `user` acts for in `role` (unit_admin, urban_officer); empty for others."""
    if not (user and user.is_authenticated):
        return set()
    return set(
        UnitMembership.objects.filter(user=user, role=role).values_list("unit_id", flat=True)
    )
