"""django-axes under a translated name: its admin section reads 登录保护, not "Axes"
(its models' names come from core's catalogue, core/third_party_messages.py)."""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AxesAppConfig):
    verbose_name = _("Sign-in protection")
