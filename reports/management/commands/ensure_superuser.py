"""manage.py ensure_superuser [--username admin]: a local admin account for the Django admin.

Creates the user with a random password the first time and keeps that
password in var/admin-password.txt (git-ignored) so `make run` can print it
every time. Never resets the password of an existing user.
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create a local superuser (once) and print its credentials."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        password_file = settings.VAR_DIR / "admin-password.txt"
        User = get_user_model()
        if not User.objects.filter(username=username).exists():
            password = secrets.token_urlsafe(12)
            User.objects.create_superuser(username=username, email="", password=password)
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)
        password = password_file.read_text().strip() if password_file.exists() else "(set before; see README to reset)"
        self.stdout.write(f"admin user: {username}  password: {password}")
