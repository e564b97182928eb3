"""What each app hands to the registries below it, declared as data, not written out in
its `AppConfig.ready()`.

An app's `registrations.py` holds module-level constants, each optional:

- `CODE_KINDS`: its printed code kinds (`core.codes.CodeKind`), registered by core;
- `UPLOADS`: {folder: `core.uploads.UploadKind`} of its uploads, registered by core;
- `ROLE_PERMISSIONS`: {role: ["app.codename", ...]}, registered by accounts;
- `ROLE_LINKS`: {grant_role's option: link(user=, object_id=, role=)}, registered by
  accounts;
- `AUDIT_UNITS`: [unit(user, role) -> str, ...], the unit an actor acts for, read by
  core/audit.py at its first event.

The owner of each registry reads every app's constant in its own `ready()` through
`declared()`, which finds the modules the way the admin finds `admin.py`
(`autodiscover_modules`): a lower layer never names an app above it, and nothing imports
an app's `registrations.py`, so it may import the app's pages and views without a circle.
"""

import sys

from django.apps import apps
from django.utils.module_loading import autodiscover_modules

MODULE = "registrations"


def declared(name: str) -> list:
    """Every installed app's `<app>.registrations.<name>`, in INSTALLED_APPS order: the
    items of the lists, the (key, value) pairs of the dicts."""
    autodiscover_modules(MODULE)
    found: list = []
    for config in apps.get_app_configs():
        value = getattr(sys.modules.get(f"{config.name}.{MODULE}"), name, None)
        if value is not None:
            found.extend(value.items() if isinstance(value, dict) else value)
    return found
