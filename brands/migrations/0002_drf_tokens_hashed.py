"""DRF's tokens become hashed brands.ApiKey rows, and DRF's token table is dropped.

Each token keeps working unchanged (`Authorization: Token <the same 40 hex digits>`): its
SHA-512 hash is stored with its first 8 digits as the visible prefix, never the token
itself. Today every key sees everything, so each becomes a platform staff key (no brand),
named "DRF token of <user>", revoked if its user is inactive (DRF refused those already):
review them in the admin and replace them with brand keys. A token whose prefix another
key already has (1 in 4 billion per pair) cannot be carried over and is dropped: re-issue
it with `manage.py apikey_create`.

rest_framework.authtoken is no longer installed, so its table is read and dropped here by
name, and its traces go too: its migration records (so that installing it again would
create a fresh table), its content types and permissions, and the admin log entries about
tokens, whose object id and text *are* the key. Reversing this migration keeps the hashed
keys: the plain tokens are gone for good.
"""

import datetime as dt

from django.conf import settings
from django.db import migrations
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework_api_key.crypto import KeyGenerator

TOKEN_TABLE = "authtoken_token"
PREFIX_LENGTH = 8  # brands.models.PREFIX_LENGTH when this was written


def drf_tokens_to_hashed_keys(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if TOKEN_TABLE in connection.introspection.table_names():
        _carry_tokens_over(apps, connection)
        schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(TOKEN_TABLE)}")
    MigrationRecorder(connection).migration_qs.filter(app="authtoken").delete()
    ContentType = apps.get_model("contenttypes", "ContentType")
    token_types = ContentType.objects.filter(app_label="authtoken")
    apps.get_model("admin", "LogEntry").objects.filter(content_type__in=token_types).delete()
    apps.get_model("auth", "Permission").objects.filter(content_type__in=token_types).delete()
    token_types.delete()


def _carry_tokens_over(apps, connection) -> None:
    ApiKey = apps.get_model("brands", "ApiKey")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    hasher = KeyGenerator()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.{connection.ops.quote_name('key')}, t.created, t.user_id FROM {TOKEN_TABLE} t ORDER BY t.created"
        )
        tokens = cursor.fetchall()
    users = User.objects.in_bulk({user_id for _, _, user_id in tokens})
    taken = set(ApiKey.objects.values_list("prefix", flat=True))
    for key, created, user_id in tokens:
        prefix = key[:PREFIX_LENGTH]
        if prefix in taken:
            continue
        taken.add(prefix)
        user = users.get(user_id)
        hashed_key = hasher.hash(key)
        api_key = ApiKey.objects.create(
            id=f"{prefix}.{hashed_key}",
            prefix=prefix,
            hashed_key=hashed_key,
            name=f"DRF token of {getattr(user, 'username', user_id)}"[:50],
            role="admin",
            brand=None,
            revoked=user is None or not user.is_active,
        )
        # auto_now_add ignores a given value. A raw SQLite cursor gives text or a naive datetime (UTC, as
        # Django stores it there).
        if isinstance(created, str):
            created = parse_datetime(created)
        if created is not None and timezone.is_naive(created):
            created = timezone.make_aware(created, dt.UTC)
        ApiKey.objects.filter(pk=api_key.pk).update(created=created)


class Migration(migrations.Migration):
    dependencies = [
        ("brands", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(drf_tokens_to_hashed_keys, migrations.RunPython.noop)]
