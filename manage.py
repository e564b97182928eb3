#!/usr/bin/env python
import os
import sys

# Commands that only read and write the schema sign nothing, so they run without the
# SECRET_KEY that settings otherwise require when DEBUG is off (a clean checkout, a hook).
SCHEMA_ONLY_COMMANDS = {"makemigrations", "showmigrations", "sqlmigrate"}


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if len(sys.argv) > 1 and sys.argv[1] in SCHEMA_ONLY_COMMANDS:
        os.environ.setdefault("SECRET_KEY", "schema-only-commands-sign-nothing")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
