"""Moderating users in the Django admin (PRODUCT.md D1)."""

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User, UserSession
from tests.conftest import PASSWORD

CHANGELIST = "admin:accounts_user_changelist"


@pytest.fixture
def moderator(make_user: Callable[..., User], client_for) -> Client:  # type: ignore[no-untyped-def]
    staff = make_user("mod-anna", is_staff=True, is_superuser=True)
    return client_for(staff)


def listed(client: Client, **query: str) -> set[str]:
    response = client.get(reverse(CHANGELIST), query)
    assert response.status_code == 200
    return {user.username for user in response.context["cl"].result_list}


def test_users_are_searched_by_name_and_email(
    moderator: Client, make_user: Callable[..., User]
) -> None:
    make_user("alice", email="alice@example.com")
    make_user("bob", email="robert@example.org")

    by_name = listed(moderator, q="ali")
    by_email = listed(moderator, q="example.org")

    assert by_name == {"alice"}
    assert by_email == {"bob"}


def test_users_are_filtered_by_active_staff_and_date_joined(
    moderator: Client, make_user: Callable[..., User]
) -> None:
    make_user("alice")
    make_user("gone", is_active=False)

    inactive = listed(moderator, is_active__exact="0")
    staff = listed(moderator, is_staff__exact="1")
    since_2000 = listed(moderator, date_joined__gte="2000-01-01 00:00:00+00:00")

    assert inactive == {"gone"}
    assert staff == {"mod-anna"}
    assert since_2000 == {"alice", "gone", "mod-anna"}


def test_deactivate_ends_every_session_and_reactivate_lets_them_back(
    moderator: Client,
    alice: User,
    bob: User,
    client_for,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    alices = [client_for(alice), client_for(alice)]
    bobs = client_for(bob)

    with django_capture_on_commit_callbacks(execute=True):
        moderator.post(
            reverse(CHANGELIST),
            {"action": "deactivate", "_selected_action": [alice.pk]},
        )

    alice.refresh_from_db()
    assert not alice.is_active
    assert not UserSession.objects.filter(user=alice).exists()
    for client in alices:
        assert client.get(reverse("chat:index")).status_code == 302
    assert bobs.get(reverse("chat:index")).status_code == 200
    refused = Client().post(
        reverse("accounts:login"), {"username": "alice", "password": PASSWORD}
    )
    assert refused.status_code == 200

    moderator.post(
        reverse(CHANGELIST), {"action": "reactivate", "_selected_action": [alice.pk]}
    )

    alice.refresh_from_db()
    assert alice.is_active
    back = Client().post(
        reverse("accounts:login"), {"username": "alice", "password": PASSWORD}
    )
    assert back.status_code == 302


def test_unticking_active_on_the_form_ends_the_sessions_too(
    moderator: Client,
    alice: User,
    client_for,  # type: ignore[no-untyped-def]
) -> None:
    alices = client_for(alice)
    url = reverse("admin:accounts_user_change", args=[alice.pk])
    # The change form as drawn, with "active" unticked (an unticked box
    # is simply not sent).
    data = {
        "username": "alice",
        "email": "",
        "first_name": "",
        "last_name": "",
        "phone": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
    }

    response = moderator.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    alice.refresh_from_db()
    assert not alice.is_active
    assert not UserSession.objects.filter(user=alice).exists()
    assert alices.get(reverse("chat:index")).status_code == 302


def test_plain_user_cannot_use_the_user_admin(
    alice: User, bob: User, client_for
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(alice)

    response = client.post(
        reverse(CHANGELIST), {"action": "deactivate", "_selected_action": [bob.pk]}
    )

    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.is_active
