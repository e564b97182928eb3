"""The vendor's pledge: the district's four requirements, accepted by registering.

The version names the text below; change it whenever the text changes, so every
registration records which words its vendor accepted (`Registration.pledge_version`).
"""

from django.utils.translation import gettext_lazy as _

PLEDGE_VERSION = "2026-1"

REQUIREMENTS = (
    _("Operate seriously and legally."),
    _("Trade with a conscience: honest weights, honest prices."),
    _("Keep the ground clean when you leave."),
    _("Pay taxes when they are due."),
)
