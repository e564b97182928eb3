from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Unit(models.Model):
    """A department, bureau or street office of the district government."""

    class Kind(models.TextChoices):
        BUREAU = "bureau", _("bureau")
        URBAN_MANAGEMENT = "urban_management", _("urban management")
        PUBLIC_SECURITY = "public_security", _("public security")
        STREET_OFFICE = "street_office", _("street office")
        OTHER = "other", _("other")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, default=Kind.BUREAU)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent unit"),
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Cadre(models.Model):
    """A government official or staff member, who wears a badge with a personal code."""

    name = models.CharField(_("name"), max_length=50)
    title = models.CharField(_("title"), max_length=100, blank=True)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="cadres", verbose_name=_("unit")
    )
    employee_number = models.CharField(_("employee number"), max_length=32, unique=True)
    photo = models.ImageField(_("photo"), upload_to="cadres/", blank=True)
    active = models.BooleanField(_("active"), default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cadre",
        verbose_name=_("user"),
    )
    code_version = models.PositiveIntegerField(_("code version"), default=1)

    class Meta:
        verbose_name = _("cadre")
        verbose_name_plural = _("cadres")
        ordering = ["unit__name", "name"]

    def __str__(self):
        return f"{self.name} ({self.unit})"


class UnitMembership(models.Model):
    """A unit_admin or urban_officer acts for one unit (grant_role ... --unit ID)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="unit_memberships",
        verbose_name=_("user"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("unit")
    )
    role = models.CharField(_("role"), max_length=32)

    class Meta:
        verbose_name = _("unit membership")
        verbose_name_plural = _("unit memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="unit_membership_unique"),
        ]

    def __str__(self):
        return f"{self.user} {self.role} {self.unit}"
