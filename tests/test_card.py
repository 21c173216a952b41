"""The user card (PRODUCT.md A5) and the ways to it."""

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from social.actions import do_send_friend_request
from tests.conftest import befriend


def card(client: Client, user: User) -> str:
    response = client.get(reverse("social:user_card", args=[user.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def dora(make_user: Callable[..., User]) -> User:
    return make_user("dora", email="dora@example.com", phone="+4915112345678")


def test_card_shows_avatar_and_name_but_not_email_or_phone_to_others(
    dora: User, alice: User, client_for: Callable[[User], Client]
) -> None:
    html = card(client_for(alice), dora)

    assert "dora" in html
    assert f'src="{dora.avatar_url}"' in html
    assert "dora@example.com" not in html
    assert "4915112345678" not in html


def test_own_card_shows_email_and_phone(
    dora: User, client_for: Callable[[User], Client]
) -> None:
    html = card(client_for(dora), dora)

    assert "dora@example.com" in html
    assert "+4915112345678" in html
    assert "This is you." in html
    assert "Add friend" not in html


def test_card_of_a_stranger_offers_a_friend_request(
    dora: User, alice: User, client_for: Callable[[User], Client]
) -> None:
    html = card(client_for(alice), dora)

    assert f'name="receiver" value="{dora.pk}"' in html
    assert "Add friend" in html


def test_card_after_a_request_offers_to_cancel_it_and_the_other_to_accept(
    dora: User, alice: User, client_for: Callable[[User], Client]
) -> None:
    outcome = do_send_friend_request(alice, dora, "hi")
    assert outcome.friend_request is not None

    senders = card(client_for(alice), dora)
    receivers = card(client_for(dora), alice)

    assert "Request sent" in senders
    assert "Add friend" not in senders
    assert reverse("social:accept_request", args=[alice.pk]) in receivers


def test_card_of_a_friend_opens_your_chat(
    dora: User, alice: User, client_for: Callable[[User], Client]
) -> None:
    chat = befriend(alice, dora)
    client = client_for(alice)

    html = card(client, dora)
    opened = client.get(reverse("chat:with_user", args=[dora.pk]))

    assert "Friend" in html
    assert reverse("chat:with_user", args=[dora.pk]) in html
    assert opened.status_code == 302
    assert opened.url == reverse("chat:detail", args=[chat.pk])


def test_open_chat_with_a_non_friend_is_404(
    dora: User, alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    befriend(alice, bob)

    response = client_for(dora).get(reverse("chat:with_user", args=[alice.pk]))

    assert response.status_code == 404


def test_card_of_a_deactivated_or_missing_user_is_404(
    dora: User, alice: User, client_for: Callable[[User], Client]
) -> None:
    dora.is_active = False
    dora.save(update_fields=["is_active"])
    client = client_for(alice)

    deactivated = client.get(reverse("social:user_card", args=[dora.pk]))
    missing = client.get(reverse("social:user_card", args=[dora.pk + 1000]))

    assert deactivated.status_code == missing.status_code == 404


def test_card_needs_a_log_in(dora: User) -> None:
    response = Client().get(reverse("social:user_card", args=[dora.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_card_reads_in_a_fixed_number_of_queries(
    dora: User,
    alice: User,
    client_for: Callable[[User], Client],
    django_assert_num_queries,
) -> None:
    client = client_for(alice)
    befriend(alice, dora)

    # session, viewer, the user, friendship, requests, and the navigation's
    # unread and request badges
    with django_assert_num_queries(7):
        card(client, dora)


def test_search_results_friend_list_and_chat_header_link_to_cards(
    dora: User, alice: User, carol: User, client_for: Callable[[User], Client]
) -> None:
    chat = befriend(alice, dora)
    client = client_for(alice)
    dora_card = reverse("social:user_card", args=[dora.pk])

    search = client.get(reverse("social:friends"), {"q": "car"}).content.decode()
    friends = client.get(reverse("social:friends")).content.decode()
    header = client.get(reverse("chat:detail", args=[chat.pk])).content.decode()

    assert reverse("social:user_card", args=[carol.pk]) in search
    assert dora_card in friends
    assert dora_card in header


def test_every_avatar_on_the_pages_names_its_user(
    dora: User, alice: User, client_for: Callable[[User], Client]
) -> None:
    """So a new avatar can find them all (A3)."""
    chat = befriend(alice, dora)
    client = client_for(alice)
    pages = [
        reverse("chat:detail", args=[chat.pk]),
        reverse("social:friends") + "?q=dora",
        reverse("social:user_card", args=[dora.pk]),
    ]

    for page in pages:
        html = client.get(page).content.decode()
        assert f'data-avatar-of="{dora.pk}"' in html, page
        assert f'data-avatar-of="{alice.pk}"' in html, page
