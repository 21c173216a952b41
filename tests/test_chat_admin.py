"""Chats in the Django admin (D1): members inline, a type filter, search,
and no edit that would go behind the actions' back."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from chat.models import Chat, Membership, Message
from tests.conftest import PASSWORD, befriend


@pytest.fixture
def moderator(db: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("moderator", password=PASSWORD))
    return client


@pytest.fixture
def group(alice: User, bob: User) -> Chat:
    chat = Chat.objects.create(
        kind=Chat.Kind.GROUP, name="Climbing club", last_activity=timezone.now()
    )
    Membership.objects.create(chat=chat, user=alice, role=Membership.Role.OWNER)
    Membership.objects.create(chat=chat, user=bob, role=Membership.Role.ADMIN)
    return chat


def changelist(client: Client, **query: str) -> str:
    response = client.get(reverse("admin:chat_chat_changelist"), query)
    assert response.status_code == 200
    return response.text


def change_url(chat: Chat) -> str:
    return reverse("admin:chat_chat_change", args=[chat.pk])


def test_chat_list_filters_by_type(
    moderator: Client, group: Chat, alice, carol
) -> None:
    private = befriend(alice, carol)

    groups = changelist(moderator, kind__exact="group")
    privates = changelist(moderator, kind__exact="private")

    assert change_url(group) in groups
    assert change_url(private) not in groups
    assert change_url(private) in privates
    assert change_url(group) not in privates


def test_chat_list_searches_by_name(moderator: Client, group: Chat) -> None:
    assert "Climbing club" in changelist(moderator, q="climb")
    assert "Climbing club" not in changelist(moderator, q="knitting")


def test_chat_page_shows_its_members_with_their_roles(
    moderator: Client, group: Chat
) -> None:
    page = moderator.get(reverse("admin:chat_chat_change", args=[group.pk])).text

    assert "alice" in page
    assert "bob" in page
    assert "Owner" in page
    assert "Admin" in page


@pytest.mark.parametrize(
    "url_name", ["admin:chat_chat_delete", "admin:chat_membership_delete"]
)
def test_admin_cannot_delete_chats_or_memberships(
    moderator: Client, group: Chat, url_name: str
) -> None:
    """A chat or an owner's membership deleted behind the actions' back
    would leave a group without an owner, or friends without their chat."""
    owner = Membership.objects.get(chat=group, role=Membership.Role.OWNER)
    target = group.pk if url_name == "admin:chat_chat_delete" else owner.pk

    response = moderator.post(reverse(url_name, args=[target]), {"post": "yes"})

    assert response.status_code == 403
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_admin_cannot_change_a_members_role(
    moderator: Client, group: Chat, bob: User
) -> None:
    admin_membership = Membership.objects.get(chat=group, user=bob)
    url = reverse("admin:chat_membership_change", args=[admin_membership.pk])

    moderator.post(url, {"role": "owner", "user": bob.pk, "chat": group.pk})

    admin_membership.refresh_from_db()
    assert admin_membership.role == Membership.Role.ADMIN


def test_chat_list_offers_no_delete_action(moderator: Client, group: Chat) -> None:
    assert "delete_selected" not in changelist(moderator)


def test_message_list_offers_remove_but_no_delete(
    moderator: Client, group: Chat
) -> None:
    """Messages are removed for everyone, never deleted as rows (D1)."""
    message = Message.objects.create(chat=group, kind=Message.Kind.SYSTEM, body="hi")

    page = moderator.get(reverse("admin:chat_message_changelist")).content.decode()
    delete = moderator.get(reverse("admin:chat_message_delete", args=[message.pk]))

    assert 'value="remove"' in page
    assert "delete_selected" not in page
    assert delete.status_code == 403
    assert Message.objects.filter(pk=message.pk).exists()
