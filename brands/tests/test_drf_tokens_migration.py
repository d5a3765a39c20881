"""Migration 0002 carries DRF's tokens over hashed, keeps them working, and leaves no plain token behind.

The table is made here as rest_framework.authtoken's 0001-0004 left it (that app is no longer
installed), then the migration's function runs against it, as `migrate` runs it.
"""

import importlib

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from rest_framework.test import APIClient

from brands.models import ApiKey
from brands.tests.test_keys import rows_holding

pytestmark = [
    pytest.mark.django_db,
    # These tests build DRF's table and run the migration's schema changes inside a test
    # transaction, which SQLite's schema editor refuses; `migrate` itself runs the migration on
    # SQLite outside one (a DRF token of the embedded default carries over like on PostgreSQL).
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
        reason="PostgreSQL only: SQLite's schema editor cannot run inside the test's transaction",
    ),
]

migration = importlib.import_module("brands.migrations.0002_drf_tokens_hashed")

ACTIVE_TOKEN = "0123456789abcdef0123456789abcdef01234567"
INACTIVE_TOKEN = "fedcba9876543210fedcba9876543210fedcba98"


@pytest.fixture
def drf_tokens(django_user_model):
    owner = django_user_model.objects.create_user("owner")
    gone = django_user_model.objects.create_user("gone", is_active=False)
    with connection.cursor() as cursor:
        cursor.execute(
            'CREATE TABLE authtoken_token ("key" varchar(40) PRIMARY KEY, created timestamptz NOT NULL, '
            "user_id integer NOT NULL UNIQUE REFERENCES auth_user (id))"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, '2024-05-06T07:08:09Z', %s), (%s, CURRENT_TIMESTAMP, %s)",
            [ACTIVE_TOKEN, owner.pk, INACTIVE_TOKEN, gone.pk],
        )
    MigrationRecorder(connection).record_applied("authtoken", "0004_alter_tokenproxy_options")
    token_type = ContentType.objects.create(app_label="authtoken", model="token")
    LogEntry.objects.create(
        user=owner, content_type=token_type, object_id=ACTIVE_TOKEN, object_repr=ACTIVE_TOKEN, action_flag=ADDITION
    )


def run_migration() -> None:
    with connection.schema_editor() as schema_editor:
        migration.drf_tokens_to_hashed_keys(apps, schema_editor)


def test_a_migrated_token_works_unchanged_and_no_plain_token_remains(drf_tokens):
    assert rows_holding(ACTIVE_TOKEN) != []  # the fixture did put it in clear

    run_migration()

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {ACTIVE_TOKEN}")
    assert client.get("/api/reports/").status_code == 200
    assert rows_holding(ACTIVE_TOKEN) == [] and rows_holding(ACTIVE_TOKEN[8:]) == []
    assert rows_holding(INACTIVE_TOKEN[8:]) == []
    assert "authtoken_token" not in connection.introspection.table_names()
    assert not MigrationRecorder(connection).migration_qs.filter(app="authtoken").exists()
    assert not ContentType.objects.filter(app_label="authtoken").exists()
    migrated = ApiKey.objects.get(prefix=ACTIVE_TOKEN[:8])
    assert (migrated.name, migrated.brand, migrated.revoked) == ("DRF token of owner", None, False)
    assert migrated.created.isoformat() == "2024-05-06T07:08:09+00:00"


def test_an_inactive_users_token_is_carried_over_revoked(drf_tokens):
    run_migration()

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {INACTIVE_TOKEN}")
    assert client.get("/api/reports/").status_code == 401
    assert ApiKey.objects.get(prefix=INACTIVE_TOKEN[:8]).revoked


def test_on_a_database_that_never_had_tokens_it_does_nothing():
    run_migration()

    assert not ApiKey.objects.exists()
