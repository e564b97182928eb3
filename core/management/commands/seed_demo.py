import importlib
import importlib.util

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Load the demo district modelled on Kangbashi. Running it again changes nothing."

    def handle(self, *args, **options):
        for config in apps.get_app_configs():
            module_name = f"{config.name}.seed"
            if config.name == "core" or importlib.util.find_spec(module_name) is None:
                continue
            module = importlib.import_module(module_name)
            with transaction.atomic():
                summary = module.run()
            self.stdout.write(f"{config.label}: {summary or 'ok'}")
