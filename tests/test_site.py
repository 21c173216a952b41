"""Project-wide behaviour: admin, health, CSRF, the database set-up."""

import ast
import uuid
from functools import partial
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import User
from chat.actions import do_send_message
from chat.models import Membership, Message
from tests.conftest import befriend, membership, run_at_once


def test_staff_user_sees_every_model_in_the_admin(make_user, client_for) -> None:
    staff = make_user("moderator", is_staff=True, is_superuser=True)
    client = client_for(staff)
    ours = [
        model
        for model in apps.get_models()
        if model._meta.app_label in {"accounts", "social", "chat"}
    ]

    index = client.get(reverse("admin:index")).text

    assert {m._meta.model_name for m in ours} <= {
        m._meta.model_name for m in admin.site._registry
    }
    for model in ours:
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert url in index
        assert client.get(url).status_code == 200


def test_admin_refuses_a_plain_user(alice: User, client_for) -> None:
    response = client_for(alice).get(reverse("admin:index"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_health_check_reports_database_and_channel_layer(db) -> None:
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "channel_layer": "ok"}


def test_health_check_fails_when_the_channel_layer_does(
    db, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Unreachable:
        async def new_channel(self) -> str:
            raise ConnectionError("no route to the channel layer")

    monkeypatch.setattr("nova_site.views.get_channel_layer", Unreachable)

    response = Client().get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "channel_layer": "failed"}


def test_pages_give_htmx_the_csrf_token(alice: User, client_for) -> None:
    page = client_for(alice).get(reverse("chat:index")).text

    assert 'hx-headers=\'{"X-CSRFToken": "' in page


def test_post_without_csrf_token_is_refused(private_chat, alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    url = reverse("chat:send", args=[private_chat.pk])
    data = {"body": "hi", "client_token": str(uuid.uuid4())}

    refused = client.post(url, data)
    client.get(reverse("chat:index"))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(url, data, HTTP_X_CSRFTOKEN=token, HTTP_HX_REQUEST="true")

    assert refused.status_code == 403
    assert accepted.status_code == 200
    assert Message.objects.filter(kind=Message.Kind.TEXT).count() == 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own tuning (O3)")
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(db) -> None:
    with connection.cursor() as cursor:
        journal = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        timeout = cursor.execute("PRAGMA busy_timeout").fetchone()[0]

    assert journal == "wal"
    assert timeout >= 5000
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.django_db(transaction=True)
def test_many_concurrent_senders_lose_nothing(make_user) -> None:
    """Eight people posting at once: no "database is locked", no lost line."""
    hub = make_user("hub")
    members = []
    for index in range(8):
        friend = make_user(f"sender{index}")
        members.append(membership(friend, befriend(hub, friend)))

    def post_many(member: Membership) -> None:
        for index in range(10):
            do_send_message(member, f"line {index}", uuid.uuid4())

    _, errors = run_at_once(*(partial(post_many, member) for member in members))

    assert errors == []
    assert Message.objects.filter(kind=Message.Kind.TEXT).count() == 80
    assert membership(hub, members[0].chat).unread_count == 10


def test_no_template_comment_spans_lines() -> None:
    """Django's {# #} comments end at the line; a longer one shows as text."""
    templates = Path(settings.BASE_DIR, "templates")

    offenders = [
        f"{path.relative_to(templates)}:{number}"
        for path in templates.rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]

    assert offenders == []


def test_missing_page_says_so_in_nova_words(alice: User, client_for) -> None:
    response = client_for(alice).get("/no/such/page/")

    assert response.status_code == 404
    assert "There is nothing here, or it is not yours to see." in response.text


def test_form_from_an_expired_page_is_refused_with_a_plain_explanation(
    alice: User,
) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("accounts:login"), {"username": "alice"})

    assert response.status_code == 403
    assert "This page was out of date" in response.text


@pytest.mark.parametrize(
    ("app", "forbidden"),
    [("accounts", {"social", "chat"}), ("social", {"chat"})],
)
def test_apps_depend_one_way(app: str, forbidden: set[str]) -> None:
    """chat -> social -> accounts: an app never imports one above it."""
    offenders = []
    for path in Path(settings.BASE_DIR, app).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            offenders += [
                f"{path.name}: {name}"
                for name in names
                if name.split(".")[0] in forbidden
            ]

    assert offenders == []
