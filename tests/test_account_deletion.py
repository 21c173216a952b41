"""Account deletion (A6, "Account deletion" in PRODUCT.md), from the
profile page and from the Django admin."""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.db.models import Q
from django.test import Client
from django.urls import reverse

from accounts.actions import do_delete_account
from accounts.avatars import random_identicon
from accounts.forms import WRONG_CURRENT_PASSWORD
from accounts.models import User
from chat.access import GroupAction
from chat.actions import (
    do_answer_invitation,
    do_change_member,
    do_create_group,
    do_decide_invitation,
    do_hide_message,
    do_invite,
    do_leave_group,
    do_send_message,
    do_update_member_settings,
)
from chat.models import Chat, ChatInvitation, Membership, Message
from chat.queries import DELETED_USER
from nova_site.asgi import application
from social.actions import do_send_friend_request
from social.models import FriendGroup, FriendRequest, Friendship
from tests.conftest import PASSWORD, befriend, membership, run_at_once


def member(user: User, chat: Chat) -> Membership:
    return membership(user, chat)


def invite_in(chat: Chat, inviter: User, invitee: User) -> ChatInvitation:
    """``invitee`` accepts ``inviter``'s invitation; an owner lets them
    straight in, a plain member's invitation waits for approval."""
    invitation = do_invite(member(inviter, chat), invitee)
    return do_answer_invitation(invitee, invitation.pk, accept=True)


def post(user: User, chat: Chat, body: str) -> Message:
    message, _ = do_send_message(membership(user, chat), body, uuid.uuid4())
    return message


def approve(chat: Chat, owner: User, invitation: ChatInvitation) -> None:
    do_decide_invitation(owner, invitation.pk, approve=True)


OWNER, ADMIN, MEMBER = (
    Membership.Role.OWNER,
    Membership.Role.ADMIN,
    Membership.Role.MEMBER,
)


@dataclass
class World:
    """Everything alice takes part in, and some things she does not."""

    alice: User
    bob: User
    carol: User
    dave: User
    erin: User
    frank: User
    alice_bob: Chat
    alice_carol: Chat
    bob_carol: Chat
    # Owned by alice: an admin who joined after a plain member.
    with_admin: Chat
    # Owned by alice: plain members only.
    without_admin: Chat
    # Alice alone.
    alone: Chat
    # Owned by erin, alice a member.
    as_member: Chat
    # Owned by bob; carol's invitation of alice awaits bob's approval.
    band: Chat
    invitation_to_alice: ChatInvitation
    # Alice's invitation of carol into with_admin, not answered yet.
    invitation_from_alice: ChatInvitation
    alice_messages: list[Message]
    other_messages: list[Message]
    unrelated_request: FriendRequest


@pytest.fixture
def world(make_user: Callable[..., User]) -> World:
    alice, bob, carol, dave, erin, frank = (
        make_user(name) for name in ("alice", "bob", "carol", "dave", "erin", "frank")
    )
    alice_bob, alice_carol = befriend(alice, bob), befriend(alice, carol)
    bob_carol = befriend(bob, carol)
    FriendGroup.objects.create(owner=alice, name="Work")
    do_send_friend_request(alice, dave, "hello dave")
    do_send_friend_request(frank, alice, "hello alice")
    unrelated_request = do_send_friend_request(frank, erin, "").friend_request
    assert unrelated_request is not None

    # Groups through the group actions; everyone joins a moment after
    # the one before, so ``joined`` follows the order below.
    befriend(bob, dave), befriend(carol, erin), befriend(erin, bob)
    with_admin = do_create_group(alice, "Climbing", [bob])
    approve(with_admin, alice, invite_in(with_admin, bob, dave))
    do_change_member(member(alice, with_admin), GroupAction.APPOINT_ADMIN, dave.pk)
    without_admin = do_create_group(alice, "Book club", [carol])
    approve(without_admin, alice, invite_in(without_admin, carol, erin))
    alone = do_create_group(alice, "Notes", [bob])
    do_leave_group(member(bob, alone), None)
    as_member = do_create_group(erin, "Family", [bob])
    approve(as_member, erin, invite_in(as_member, bob, alice))
    do_update_member_settings(
        member(alice, as_member), muted=False, pinned=False, nickname="Ally"
    )
    band = do_create_group(bob, "Band", [carol])
    invitation_to_alice = invite_in(band, carol, alice)
    assert invitation_to_alice.state == ChatInvitation.State.AWAITING_APPROVAL
    invitation_from_alice = do_invite(member(alice, with_admin), carol)

    alice_messages = [
        post(alice, alice_bob, "private to bob"),
        post(alice, with_admin, "to the climbers"),
        post(alice, as_member, "to the family"),
        post(alice, alone, "a note"),
    ]
    other_messages = [
        post(bob, with_admin, "bob climbs"),
        post(erin, as_member, "erin's news"),
        post(bob, bob_carol, "bob to carol"),
    ]
    return World(
        alice,
        bob,
        carol,
        dave,
        erin,
        frank,
        alice_bob,
        alice_carol,
        bob_carol,
        with_admin,
        without_admin,
        alone,
        as_member,
        band,
        invitation_to_alice,
        invitation_from_alice,
        alice_messages,
        other_messages,
        unrelated_request,
    )


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def delete_on_profile_page(world: World) -> None:
    response = logged_in(world.alice).post(
        reverse("accounts:delete_account"), {"current_password": PASSWORD}
    )
    assert response.status_code == 302


def delete_in_admin(world: World) -> None:
    moderator = User.objects.create_superuser("moderator", password=PASSWORD)
    url = reverse("admin:accounts_user_delete", args=[world.alice.pk])
    response = logged_in(moderator).post(url, {"post": "yes"})
    assert response.status_code == 302


def delete_selected_in_admin(world: World) -> None:
    moderator = User.objects.create_superuser("moderator", password=PASSWORD)
    response = logged_in(moderator).post(
        reverse("admin:accounts_user_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [world.alice.pk],
            "post": "yes",
        },
    )
    assert response.status_code == 302


def role(chat: Chat, user: User) -> str:
    return Membership.objects.get(chat=chat, user=user).role


@pytest.mark.parametrize(
    "delete", [delete_on_profile_page, delete_in_admin, delete_selected_in_admin]
)
def test_deleting_an_account_has_every_consequence_and_no_other(
    world: World, delete: Callable[[World], None]
) -> None:
    """The same result from the profile page and from the admin."""
    alice_id = world.alice.pk
    sessions = [logged_in(world.alice) for _ in range(2)]
    other_messages = {m.pk: (m.sender_id, m.body) for m in world.other_messages}
    bob_and_carol = Friendship.objects.filter(
        user__in=[world.bob, world.carol], friend__in=[world.bob, world.carol]
    ).count()

    delete(world)

    assert not User.objects.filter(pk=alice_id).exists()
    # Friendships, requests both ways and friend groups go; others stay.
    assert not Friendship.objects.filter(Q(user_id=alice_id) | Q(friend_id=alice_id))
    assert not FriendRequest.objects.filter(
        Q(sender_id=alice_id) | Q(receiver_id=alice_id)
    )
    assert not FriendGroup.objects.filter(owner_id=alice_id)
    assert FriendRequest.objects.filter(pk=world.unrelated_request.pk).exists()
    assert (
        Friendship.objects.filter(
            user__in=[world.bob, world.carol], friend__in=[world.bob, world.carol]
        ).count()
        == bob_and_carol
    )
    # Private chats go with their messages; other people's stay.
    assert not Chat.objects.filter(pk__in=[world.alice_bob.pk, world.alice_carol.pk])
    assert not Message.objects.filter(chat__in=[world.alice_bob, world.alice_carol])
    assert Chat.objects.filter(pk=world.bob_carol.pk).exists()
    # Owned groups pass on: to the admin before a longer-standing member...
    assert role(world.with_admin, world.dave) == OWNER
    assert role(world.with_admin, world.bob) == MEMBER
    # ...else to the longest-standing member; a group of one is deleted.
    assert role(world.without_admin, world.carol) == OWNER
    assert role(world.without_admin, world.erin) == MEMBER
    assert not Chat.objects.filter(pk=world.alone.pk).exists()
    assert role(world.as_member, world.erin) == OWNER
    # Each group left says so, as its newest line.
    lines = {
        chat.pk: chat.last_message.body
        for chat in Chat.objects.filter(
            pk__in=[world.with_admin.pk, world.without_admin.pk, world.as_member.pk]
        ).select_related("last_message")
        if chat.last_message and chat.last_message.kind == Message.Kind.SYSTEM
    }
    assert lines == {
        world.with_admin.pk: "alice left the group; dave is now the owner",
        world.without_admin.pk: "alice left the group; carol is now the owner",
        world.as_member.pk: "alice left the group",
    }
    assert not Membership.objects.filter(user_id=alice_id)
    # Invitations to her go, the approval queue with them; the one she
    # sent stays open, from nobody.
    assert not ChatInvitation.objects.filter(invitee_id=alice_id)
    from_alice = ChatInvitation.objects.get(pk=world.invitation_from_alice.pk)
    assert (from_alice.inviter_id, from_alice.state) == (None, "pending")
    # Sent messages in groups stay, with no sender; nothing else changes.
    kept = Message.objects.filter(
        pk__in=[m.pk for m in world.alice_messages]
    ).values_list("body", "sender_id")
    assert sorted(kept) == [("to the climbers", None), ("to the family", None)]
    assert {
        m.pk: (m.sender_id, m.body)
        for m in Message.objects.filter(pk__in=other_messages)
    } == other_messages
    # Every session is gone.
    for client in sessions:
        key = client.cookies["sessionid"].value
        assert not Session.objects.filter(session_key=key).exists()
        assert client.get(reverse("chat:index")).status_code == 302


def test_members_see_the_deleted_users_messages_as_from_deleted_user(
    world: World,
) -> None:
    do_delete_account(world.alice)

    page = logged_in(world.bob).get(reverse("chat:detail", args=[world.with_admin.pk]))

    assert page.status_code == 200
    html = page.text
    assert f'<span class="message-sender" dir="auto">{DELETED_USER}</span>' in html
    assert "to the climbers" in html
    assert ">alice<" not in html
    assert "alice left the group; dave is now the owner" in html


def test_invitation_from_a_deleted_user_waits_for_the_new_owners_approval(
    world: World,
) -> None:
    """An inviter who is gone counts as a plain member (C6): the invitee's
    accept waits, and an owner or admin lets them in."""
    do_delete_account(world.alice)
    invitation_id = world.invitation_from_alice.pk

    answered = do_answer_invitation(world.carol, invitation_id, accept=True)
    queued = Membership.objects.filter(chat=world.with_admin, user=world.carol)
    queued_before_approval = queued.exists()
    decided = do_decide_invitation(world.dave, invitation_id, approve=True)

    assert answered.state == ChatInvitation.State.AWAITING_APPROVAL
    assert not queued_before_approval
    assert decided.state == ChatInvitation.State.JOINED
    assert role(world.with_admin, world.carol) == MEMBER
    line = Chat.objects.select_related("last_message").get(pk=world.with_admin.pk)
    assert line.last_message is not None
    assert line.last_message.body == (
        f"carol joined, invited by {DELETED_USER} and approved by dave"
    )


def test_approval_queue_drops_an_invitee_whose_account_is_deleted(
    world: World,
) -> None:
    bob = logged_in(world.bob)
    url = reverse("chat:detail", args=[world.band.pk])
    queue_before = bob.get(url).text

    do_delete_account(world.alice)
    queue_after = bob.get(url).text

    invitation = f'id="invitation-{world.invitation_to_alice.pk}"'
    assert invitation in queue_before
    assert "waiting for approval" in queue_before
    assert invitation not in queue_after
    assert "waiting for approval" not in queue_after


def test_preview_of_a_deleted_users_last_message_says_deleted_user(
    world: World,
) -> None:
    do_delete_account(world.alice)
    # Bob deletes the lines after hers for himself ("left", and erin's):
    # his preview falls back to her message.
    after_hers = Message.objects.filter(
        chat=world.as_member, pk__gt=world.alice_messages[2].pk
    )
    for message in after_hers:
        do_hide_message(membership(world.bob, world.as_member), message)

    page = logged_in(world.bob).get(reverse("chat:index")).text

    assert f"{DELETED_USER}: to the family" in page


def test_deleting_your_account_logs_you_out_and_says_so(alice: User) -> None:
    client = logged_in(alice)

    response = client.post(
        reverse("accounts:delete_account"), {"current_password": PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert "Your account has been deleted." in response.text
    assert not response.wsgi_request.user.is_authenticated


def test_profile_page_shows_the_deletion_form(alice: User) -> None:
    response = logged_in(alice).get(reverse("accounts:profile"))

    assert response.status_code == 200
    assert 'id="delete-current_password"' in response.text
    assert "Delete my account" in response.text
    assert "so do the group invitations you received" in response.text
    assert "invitations you sent stay open" in response.text


def test_deletion_is_refused_by_get(alice: User) -> None:
    response = logged_in(alice).get(reverse("accounts:delete_account"))

    assert response.status_code == 405
    assert User.objects.filter(pk=alice.pk).exists()


def test_wrong_password_deletes_nothing_and_says_why(world: World) -> None:
    client = logged_in(world.alice)
    friendships = Friendship.objects.count()
    memberships = Membership.objects.count()

    response = client.post(
        reverse("accounts:delete_account"), {"current_password": "not it"}
    )

    assert response.status_code == 400
    assert WRONG_CURRENT_PASSWORD in response.text
    assert User.objects.filter(pk=world.alice.pk).exists()
    assert Friendship.objects.count() == friendships
    assert Membership.objects.count() == memberships
    assert client.get(reverse("chat:index")).status_code == 200


def test_missing_password_deletes_nothing(alice: User) -> None:
    response = logged_in(alice).post(reverse("accounts:delete_account"), {})

    assert response.status_code == 400
    assert User.objects.filter(pk=alice.pk).exists()


def test_stranger_cannot_delete_someone_elses_account(alice: User, bob: User) -> None:
    """No URL or field names the account: a stranger's post with the
    victim's password and id is checked against the stranger's own."""
    bob_client = logged_in(bob)

    response = bob_client.post(
        reverse("accounts:delete_account"),
        {"current_password": "alice's guess", "user": alice.pk, "id": alice.pk},
    )

    assert response.status_code == 400
    assert User.objects.filter(pk__in=[alice.pk, bob.pk]).count() == 2


def test_anonymous_visitor_cannot_delete_anything(alice: User) -> None:
    response = Client().post(
        reverse("accounts:delete_account"), {"current_password": PASSWORD}
    )

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
    assert User.objects.filter(pk=alice.pk).exists()


def test_plain_user_cannot_delete_in_the_admin(alice: User, bob: User) -> None:
    url = reverse("admin:accounts_user_delete", args=[alice.pk])

    response = logged_in(bob).post(url, {"post": "yes"})

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert User.objects.filter(pk=alice.pk).exists()


def test_admin_confirmation_says_what_deleting_an_account_does(world: World) -> None:
    moderator = User.objects.create_superuser("moderator", password=PASSWORD)
    url = reverse("admin:accounts_user_delete", args=[world.alice.pk])

    page = logged_in(moderator).get(url)

    assert page.status_code == 200
    assert "private chats are deleted" in page.text
    assert "longest-standing admin" in page.text
    assert "group invitations they received go" in page.text
    assert 'name="post" value="yes"' in page.text


def test_deleted_users_avatar_file_is_removed_after_commit(
    make_user, django_capture_on_commit_callbacks
) -> None:
    user = make_user("hasavatar")
    avatar = random_identicon()
    user.avatar.save(avatar.name, avatar)
    path = Path(user.avatar.path)

    with django_capture_on_commit_callbacks(execute=True):
        do_delete_account(user)

    assert not path.exists()


async def open_tab(user: User) -> WebsocketCommunicator:
    client = Client()
    await sync_to_async(client.force_login)(user)
    key = client.cookies["sessionid"].value
    tab = WebsocketCommunicator(
        application,
        "/ws/",
        headers=[
            (b"origin", b"http://127.0.0.1"),
            (b"host", b"127.0.0.1"),
            (b"cookie", f"sessionid={key}".encode()),
        ],
    )
    assert (await tab.connect())[0]
    return tab


async def pushes(tab: WebsocketCommunicator, count: int) -> str:
    """Exactly ``count`` frames, and then nothing more."""
    frames = [await tab.receive_from(timeout=2) for _ in range(count)]
    assert await tab.receive_nothing(timeout=0.2)
    return "".join(frames)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_everyone_concerned_sees_the_deletion_live(world: World) -> None:
    alice_tabs = [await open_tab(world.alice) for _ in range(2)]
    tabs = {
        user.username: await open_tab(user)
        for user in (world.bob, world.carol, world.dave, world.erin, world.frank)
    }
    alice_id = world.alice.pk

    await sync_to_async(do_delete_account)(world.alice)

    # Every session of alice is logged out.
    for tab in alice_tabs:
        # Her user's and her session's pushes travel apart (on Redis in
        # either order): the log-out may come after a last list update.
        while "You have been logged out." not in await tab.receive_from(timeout=2):
            pass
        assert (await tab.receive_output(timeout=2))["code"] == 4001
    # Friends: the friend leaves their list, the private chat their tabs,
    # and each group they share with her shows that she left. Every
    # group an invitation of hers was in re-renders its members' panels
    # (the approval queue) and the other party's invitation box.
    to_alice = f'id="invitation-{world.invitation_to_alice.pk}"'
    from_alice = f'id="invitation-{world.invitation_from_alice.pk}"'
    bob = await pushes(tabs["bob"], 7)
    assert 'id="friend-list"' in bob
    assert f'hx-swap-oob="delete:#chat-row-{world.alice_bob.pk}"' in bob
    assert "This chat has ended" in bob
    assert "alice left the group; dave is now the owner" in bob
    assert f'hx-swap-oob="beforeend:#messages-{world.as_member.pk}"' in bob
    assert f'id="group-panel-{world.band.pk}"' in bob
    assert to_alice not in bob
    carol = await pushes(tabs["carol"], 5)
    assert f'hx-swap-oob="delete:#chat-row-{world.alice_carol.pk}"' in carol
    assert "alice left the group; carol is now the owner" in carol
    assert 'id="invitation-box"' in carol
    assert to_alice not in carol
    assert from_alice in carol
    assert f"{DELETED_USER}</span> invites you to" in carol
    # Open requests both ways close, with the badge; the new owner's
    # panel shows the open invitation alice sent.
    dave = await pushes(tabs["dave"], 3)
    assert "delete:#friend-request-" in dave
    assert "alice left the group; dave is now the owner" in dave
    assert from_alice in dave
    frank = await pushes(tabs["frank"], 1)
    assert "delete:#friend-request-" in frank
    assert f'hx-swap-oob="delete:#search-result-{alice_id}"' in frank
    erin = await pushes(tabs["erin"], 3)
    for chat in (world.without_admin, world.as_member):
        assert f'hx-swap-oob="beforeend:#messages-{chat.pk}"' in erin
    # Her messages come to a tab that catches up as from "Deleted user".
    await tabs["bob"].send_to(
        text_data=json.dumps(
            {"action": "catch_up", "chat": world.with_admin.pk, "after": 0}
        )
    )
    caught_up = await tabs["bob"].receive_from(timeout=2)
    assert f'<span class="message-sender" dir="auto">{DELETED_USER}</span>' in caught_up
    assert "to the climbers" in caught_up
    for tab in tabs.values():
        await tab.disconnect()


@pytest.mark.django_db(transaction=True)
def test_two_tabs_deleting_at_once_delete_once(world: World) -> None:
    tabs = [logged_in(world.alice) for _ in range(2)]

    responses, errors = run_at_once(
        *(
            partial(
                tab.post,
                reverse("accounts:delete_account"),
                {"current_password": PASSWORD},
            )
            for tab in tabs
        )
    )

    assert errors == []
    assert [response.status_code for response in responses] == [302, 302]
    assert not User.objects.filter(username="alice").exists()
    left = Message.objects.filter(chat=world.as_member, body="alice left the group")
    assert left.count() == 1


def test_admin_deleting_several_friends_at_once_deletes_each_fully(
    world: World,
) -> None:
    moderator = User.objects.create_superuser("moderator", password=PASSWORD)
    chosen = [world.alice.pk, world.bob.pk, world.dave.pk]

    response = logged_in(moderator).post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": chosen, "post": "yes"},
    )

    assert response.status_code == 302
    assert not User.objects.filter(pk__in=chosen).exists()
    assert not Chat.objects.filter(pk=world.bob_carol.pk).exists()
    # Alice's group passed to dave; with dave and bob gone too, nobody is
    # left in it, so it went with the last of them.
    assert not Chat.objects.filter(pk=world.with_admin.pk).exists()
    assert role(world.as_member, world.erin) == OWNER
    assert not Membership.objects.filter(user_id__in=chosen).exists()
