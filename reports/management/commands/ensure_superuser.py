"""manage.py ensure_superuser [--username admin]: a local admin account and its API key.

Creates the user with a random password the first time and keeps that
password in var/admin-password.txt (git-ignored) so `make run` can print it
every time, with the user's API key (DRF token) and a ready-to-paste curl
line. Never resets the password of an existing user.
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Create a local superuser (once) and print its credentials."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, username, **options):
        password_file = settings.VAR_DIR / "admin-password.txt"
        User = get_user_model()
        if not User.objects.filter(username=username).exists():
            password = secrets.token_urlsafe(12)
            User.objects.create_superuser(username=username, email="", password=password)
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)
        password = password_file.read_text().strip() if password_file.exists() else "(set before; see README to reset)"
        key, _ = Token.objects.get_or_create(user=User.objects.get(username=username))
        self.stdout.write(f"  admin    user {username}, password {password}")
        self.stdout.write(f"  API key  {key.key}")
        self.stdout.write(
            f"  try it   curl -X POST -H 'Authorization: Token {key.key}' {options['base_url']}/trigger_report"
        )
