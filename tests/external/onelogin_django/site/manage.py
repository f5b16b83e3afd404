#!/usr/bin/env python
"""The test relying party's manage.py; run with .venv-django/bin/python."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rpsite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
