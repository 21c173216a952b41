"""Group chats (C2-C8): creating, the roles table, invitations, leaving,
announcements and each member's own settings."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from accounts.models import User
from chat.access import GroupAction, Refused
from chat.actions import (
    do_answer_invitation,
    do_change_member,
    do_clear_history,
    do_create_group,
    do_decide_invitation,
    do_end_invitations_between,
    do_invite,
    do_leave_group,
    do_send_message,
    do_update_member_settings,
)
from chat.models import Chat, ChatAnnouncement, ChatInvitation, Membership, Message
from social.actions import are_friends
from tests.conftest import befriend, membership, run_at_once

pytestmark = pytest.mark.django_db

Role = Membership.Role
State = ChatInvitation.State


def group_of(owner: User, *members: User, name: str = "Hikers") -> Chat:
    """A group made through the real action; every member a friend of the
    owner."""
    for member in members:
        if not are_friends(owner, member):
            befriend(owner, member)
    return do_create_group(owner, name, list(members))


def role_of(user: User, chat: Chat) -> str | None:
    found = Membership.objects.filter(user=user, chat=chat).first()
    return found.role if found else None


def lines(chat: Chat) -> list[str]:
    return list(
        Message.objects.filter(chat=chat, kind=Message.Kind.SYSTEM)
        .order_by("pk")
        .values_list("body", flat=True)
    )


def flash(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in response.wsgi_request._messages]


def test_owner_creates_a_group_with_friends(
    alice: User, bob: User, carol: User, client_for
) -> None:
    befriend(alice, bob)
    befriend(alice, carol)

    response = client_for(alice).post(
        reverse("chat:new_group"),
        {"name": "  Hikers  ", "friends": [bob.pk, carol.pk]},
    )

    chat = Chat.objects.get(kind=Chat.Kind.GROUP)
    assert response.status_code == 302
    assert response["Location"] == reverse("chat:detail", args=[chat.pk])
    assert chat.name == "Hikers"
    assert role_of(alice, chat) == Role.OWNER
    assert role_of(bob, chat) == Role.MEMBER
    assert role_of(carol, chat) == Role.MEMBER
    assert lines(chat) == ["alice created the group with bob, carol"]


@pytest.mark.parametrize(
    ("name", "with_friend", "error"),
    [
        ("", True, "Give the group a name."),
        ("x" * 61, True, "at most 60 characters"),
        ("Hikers", False, "Pick at least one friend."),
        ("\u200b\u200b", True, "A group name needs a visible character."),
    ],
)
def test_group_needs_a_name_of_1_to_60_and_a_friend(
    name: str, with_friend: bool, error: str, alice: User, bob: User, client_for
) -> None:
    befriend(alice, bob)
    friends = [bob.pk] if with_friend else []

    response = client_for(alice).post(
        reverse("chat:new_group"), {"name": name, "friends": friends}
    )

    assert response.status_code == 400
    assert error in response.text
    assert not Chat.objects.filter(kind=Chat.Kind.GROUP).exists()


def test_group_of_exactly_60_characters_is_made(
    alice: User, bob: User, client_for
) -> None:
    befriend(alice, bob)

    client_for(alice).post(
        reverse("chat:new_group"), {"name": "x" * 60, "friends": [bob.pk]}
    )

    assert Chat.objects.get(kind=Chat.Kind.GROUP).name == "x" * 60


def test_group_cannot_take_a_stranger(
    alice: User, bob: User, carol: User, client_for
) -> None:
    befriend(alice, bob)

    response = client_for(alice).post(
        reverse("chat:new_group"), {"name": "Hikers", "friends": [bob.pk, carol.pk]}
    )

    assert response.status_code == 400
    assert "Only your friends can be added." in response.text
    assert not Chat.objects.filter(kind=Chat.Kind.GROUP).exists()


def test_group_page_shows_members_roles_and_announcements(
    alice: User, bob: User, carol: User, client_for
) -> None:
    chat = group_of(alice, bob, carol)
    client = client_for(alice)
    client.post(reverse("chat:announce", args=[chat.pk]), {"body": "first"})
    client.post(reverse("chat:announce", args=[chat.pk]), {"body": "second"})

    page = client_for(bob).get(reverse("chat:detail", args=[chat.pk])).text

    assert 'id="group-panel-' in page
    assert page.index(">second<") < page.index(">first<")  # newest first
    assert "Owner" in page
    assert "Member" in page
    assert lines(chat)[-1] == "alice posted an announcement"


# The permission matrix: every group action by every kind of user (C5).


@dataclass
class World:
    chat: Chat
    users: dict[str, User]
    invitation: ChatInvitation


@pytest.fixture
def world(make_user: Callable[..., User]) -> World:
    """A group with an owner, two admins, two plain members (one the
    usual target), a former member, a stranger, a friend of everyone to
    invite, and a plain member's invitation waiting for approval."""
    names = ["owner", "admin", "admin2", "member", "target", "former", "stranger"]
    users = {name: make_user(name) for name in names}
    users["guest"] = make_user("guest")
    users["newcomer"] = make_user("newcomer")
    owner = users["owner"]
    chat = group_of(
        owner, *(users[n] for n in ["admin", "admin2", "member", "target", "former"])
    )
    for name in ["admin", "admin2"]:
        do_change_member(
            membership(owner, chat), GroupAction.APPOINT_ADMIN, users[name].pk
        )
    do_leave_group(membership(users["former"], chat), None)
    # Only members may invite; outsiders are refused before friendship
    # matters.
    for name in ["owner", "admin", "member"]:
        befriend(users[name], users["guest"])
    befriend(users["target"], users["newcomer"])
    invitation = do_invite(membership(users["target"], chat), users["newcomer"])
    do_answer_invitation(users["newcomer"], invitation.pk, accept=True)
    return World(chat, users, invitation)


def _post(world: World, actor: str, action: str) -> tuple[int, list[str]]:
    """Do ``action`` as ``actor`` through its view; return the status and
    the error messages shown."""
    chat_id, users = world.chat.pk, world.users
    member_url = lambda change, whom: reverse(  # noqa: E731
        "chat:change_member", args=[chat_id, users[whom].pk, change]
    )
    requests = {
        "rename": (reverse("chat:rename", args=[chat_id]), {"name": "Renamed"}),
        "announce": (reverse("chat:announce", args=[chat_id]), {"body": "Hear ye"}),
        "appoint_admin": (member_url("appoint", "target"), {}),
        "dismiss_admin": (member_url("dismiss", "admin2"), {}),
        "transfer": (member_url("transfer", "target"), {}),
        "remove": (member_url("remove", "target"), {}),
        "remove_message": (
            reverse("chat:remove", args=[chat_id, _target_message(world).pk]),
            {},
        ),
        "disband": (reverse("chat:disband", args=[chat_id]), {}),
        "invite": (
            reverse("chat:invite", args=[chat_id]),
            {"invitee": users["guest"].pk},
        ),
        "leave": (
            reverse("chat:leave", args=[chat_id]),
            {"successor": users["admin"].pk} if actor == "owner" else {},
        ),
        "decide_invitation": (
            reverse("chat:invitation_step", args=[world.invitation.pk, "approve"]),
            {},
        ),
    }
    url, data = requests[action]
    client = Client()
    client.force_login(users[actor])
    response = client.post(url, data)
    errors = [str(m) for m in response.wsgi_request._messages if m.level_tag == "error"]
    return response.status_code, errors


def _target_message(world: World) -> Message:
    """A message of the plain member "target", to remove (M6)."""
    target = membership(world.users["target"], world.chat)
    found = Message.objects.filter(chat=world.chat, sender=target.user).first()
    if found is None:
        found, _ = do_send_message(target, "remove me", uuid.uuid4())
    return found


def _done(world: World, action: str) -> bool:
    """Whether ``action`` took effect."""
    chat_id, users = world.chat.pk, world.users
    chat = Chat.objects.filter(pk=chat_id).first()
    if action == "disband":
        return chat is None
    assert chat is not None
    if action == "rename":
        return chat.name == "Renamed"
    if action == "announce":
        return ChatAnnouncement.objects.filter(chat=chat).exists()
    if action == "appoint_admin":
        return role_of(users["target"], chat) == Role.ADMIN
    if action == "dismiss_admin":
        return role_of(users["admin2"], chat) == Role.MEMBER
    if action == "transfer":
        return role_of(users["target"], chat) == Role.OWNER
    if action == "remove":
        return role_of(users["target"], chat) is None
    if action == "remove_message":
        return _target_message(world).status == Message.Status.REMOVED_BY_ADMIN
    if action == "invite":
        return ChatInvitation.objects.filter(
            chat=chat, invitee=users["guest"], state=State.PENDING
        ).exists()
    if action == "decide_invitation":
        return role_of(users["newcomer"], chat) == Role.MEMBER
    assert action == "leave"
    return Membership.objects.filter(chat=chat).count() == 4


# The roles table of PRODUCT.md C5, written out once more by hand.
ALLOWED = {
    "rename": {"owner"},
    "announce": {"owner", "admin"},
    "appoint_admin": {"owner"},
    "dismiss_admin": {"owner"},
    "transfer": {"owner"},
    "remove": {"owner", "admin"},
    "remove_message": {"owner", "admin"},
    "disband": {"owner"},
    "decide_invitation": {"owner", "admin"},
    "invite": {"owner", "admin", "member"},
    "leave": {"owner", "admin", "member"},
}


def test_matrix_names_every_group_action() -> None:
    assert set(ALLOWED) == {action.value for action in GroupAction}


ACTORS = ["owner", "admin", "member", "former", "stranger"]


@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_roles_table(world: World, action: str) -> None:
    """Each group action is allowed or refused exactly as the roles table
    says; someone outside the group is told the group does not exist.

    Each actor tries on the same world, rolled back to a savepoint after
    each try (the views' own transactions nest inside it).
    """
    for actor in ACTORS:
        savepoint = transaction.savepoint()

        status, errors = _post(world, actor, action)

        outcome = (actor, status, errors, _done(world, action))
        if actor in ALLOWED[action]:
            assert outcome == (actor, 302, [], True)
        elif actor in ("former", "stranger"):
            assert outcome == (actor, 404, [], False)
        else:
            assert outcome[:2] == (actor, 302)
            assert len(errors) == 1
            assert errors[0].startswith("Only ")
            assert not outcome[3]
        transaction.savepoint_rollback(savepoint)


def test_admin_cannot_remove_an_admin_or_the_owner(world: World) -> None:
    admin = membership(world.users["admin"], world.chat)

    for whom in ("admin2", "owner"):
        with pytest.raises(Refused, match="Admins can remove plain members only"):
            do_change_member(admin, GroupAction.REMOVE, world.users[whom].pk)

    assert role_of(world.users["admin2"], world.chat) == Role.ADMIN


def test_owner_cannot_remove_themself(world: World) -> None:
    owner = membership(world.users["owner"], world.chat)

    with pytest.raises(Refused, match="leave the group instead"):
        do_change_member(owner, GroupAction.REMOVE, world.users["owner"].pk)


def test_owner_removes_an_admin(world: World) -> None:
    owner = membership(world.users["owner"], world.chat)

    do_change_member(owner, GroupAction.REMOVE, world.users["admin"].pk)

    assert role_of(world.users["admin"], world.chat) is None
    assert lines(world.chat)[-1] == "owner removed admin"


def test_handing_over_makes_the_old_owner_an_admin(world: World) -> None:
    owner = membership(world.users["owner"], world.chat)

    do_change_member(owner, GroupAction.TRANSFER, world.users["member"].pk)

    assert role_of(world.users["member"], world.chat) == Role.OWNER
    assert role_of(world.users["owner"], world.chat) == Role.ADMIN
    assert lines(world.chat)[-1] == "owner handed the group over to member"


def test_appointing_an_admin_twice_and_dismissing_a_member_are_refused(
    world: World,
) -> None:
    owner = membership(world.users["owner"], world.chat)

    with pytest.raises(Refused, match="already an admin"):
        do_change_member(owner, GroupAction.APPOINT_ADMIN, world.users["admin"].pk)
    with pytest.raises(Refused, match="is not an admin"):
        do_change_member(owner, GroupAction.DISMISS_ADMIN, world.users["member"].pk)


def test_role_taken_away_meanwhile_is_seen_by_the_action(world: World) -> None:
    """An admin whose role went after the page was drawn is refused by the
    action itself, which reads the roles again under the group's lock."""
    admin = membership(world.users["admin"], world.chat)
    owner = membership(world.users["owner"], world.chat)
    do_change_member(owner, GroupAction.DISMISS_ADMIN, world.users["admin"].pk)

    with pytest.raises(Refused, match="Only the owner and admins"):
        do_change_member(admin, GroupAction.REMOVE, world.users["member"].pk)


def test_changing_someone_outside_the_group_is_refused(
    world: World, client_for
) -> None:
    url = reverse(
        "chat:change_member",
        args=[world.chat.pk, world.users["stranger"].pk, "remove"],
    )

    response = client_for(world.users["owner"]).post(url)

    assert flash(response) == ["That person is not in this group."]


def test_unknown_member_change_is_not_found(world: World, client_for) -> None:
    url = reverse(
        "chat:change_member", args=[world.chat.pk, world.users["member"].pk, "ban"]
    )

    assert client_for(world.users["owner"]).post(url).status_code == 404


def test_private_chat_has_no_roles_invitations_or_leaving(
    alice: User, bob: User, carol: User, client_for
) -> None:
    """C2: a private chat cannot be renamed, invited into or left."""
    chat = befriend(alice, bob)
    befriend(alice, carol)
    client = client_for(alice)

    for url, data in [
        (reverse("chat:rename", args=[chat.pk]), {"name": "x"}),
        (reverse("chat:invite", args=[chat.pk]), {"invitee": carol.pk}),
        (reverse("chat:leave", args=[chat.pk]), {}),
        (reverse("chat:disband", args=[chat.pk]), {}),
    ]:
        response = client.post(url, data)
        assert response.status_code == 302
        assert flash(response)[0].startswith("A private chat has no roles")

    assert Membership.objects.filter(chat=chat).count() == 2
    assert not ChatInvitation.objects.exists()


def test_rename_is_trimmed_and_posts_a_line(alice: User, bob: User, client_for) -> None:
    chat = group_of(alice, bob)

    client_for(alice).post(reverse("chat:rename", args=[chat.pk]), {"name": " Ok "})

    chat.refresh_from_db()
    assert chat.name == "Ok"
    assert lines(chat)[-1] == "alice renamed the group to “Ok”"


def test_blank_or_long_rename_is_refused_with_the_reason(
    alice: User, bob: User, client_for
) -> None:
    chat = group_of(alice, bob)
    client = client_for(alice)

    blank = client.post(reverse("chat:rename", args=[chat.pk]), {"name": "  "})
    long = client.post(reverse("chat:rename", args=[chat.pk]), {"name": "x" * 61})

    assert flash(blank) == ["Give the group a name."]
    assert flash(long)[-1] == "A group name can be at most 60 characters."
    chat.refresh_from_db()
    assert chat.name == "Hikers"


# Invitations (C6).


@pytest.fixture
def group(alice: User, bob: User, carol: User, make_user) -> Chat:  # type: ignore[no-untyped-def]
    """alice owns it, bob is a plain member; carol is a friend of both
    and not in it."""
    chat = group_of(alice, bob)
    befriend(alice, carol)
    befriend(bob, carol)
    return chat


def test_owner_invitation_accepted_joins_at_once(
    group: Chat, alice: User, carol: User
) -> None:
    invitation = do_invite(membership(alice, group), carol)

    do_answer_invitation(carol, invitation.pk, accept=True)

    invitation.refresh_from_db()
    assert invitation.state == State.JOINED
    assert role_of(carol, group) == Role.MEMBER
    assert lines(group)[-1] == "carol joined, invited by alice"


def test_member_invitation_accepted_waits_for_approval(
    group: Chat, alice: User, bob: User, carol: User
) -> None:
    invitation = do_invite(membership(bob, group), carol)

    do_answer_invitation(carol, invitation.pk, accept=True)

    invitation.refresh_from_db()
    assert invitation.state == State.AWAITING_APPROVAL
    assert role_of(carol, group) is None

    do_decide_invitation(alice, invitation.pk, approve=True)

    invitation.refresh_from_db()
    assert invitation.state == State.JOINED
    assert invitation.decided_by == alice
    assert role_of(carol, group) == Role.MEMBER
    assert lines(group)[-1] == "carol joined, invited by bob and approved by alice"


def test_refused_invitation_ends_without_joining(
    group: Chat, alice: User, bob: User, carol: User
) -> None:
    invitation = do_invite(membership(bob, group), carol)
    do_answer_invitation(carol, invitation.pk, accept=True)

    do_decide_invitation(alice, invitation.pk, approve=False)

    invitation.refresh_from_db()
    assert invitation.state == State.REFUSED
    assert role_of(carol, group) is None


def test_declined_invitation_ends_and_cannot_be_accepted_later(
    group: Chat, bob: User, carol: User
) -> None:
    invitation = do_invite(membership(bob, group), carol)

    do_answer_invitation(carol, invitation.pk, accept=False)

    with pytest.raises(Refused, match="closed"):
        do_answer_invitation(carol, invitation.pk, accept=True)
    invitation.refresh_from_db()
    assert invitation.state == State.DECLINED


def test_inviter_withdraws_an_open_invitation(
    group: Chat, bob: User, carol: User, client_for
) -> None:
    invitation = do_invite(membership(bob, group), carol)
    url = reverse("chat:invitation_step", args=[invitation.pk, "cancel"])

    client_for(bob).post(url)

    invitation.refresh_from_db()
    assert invitation.state == State.CANCELLED
    with pytest.raises(Refused):
        do_answer_invitation(carol, invitation.pk, accept=True)


def test_only_the_invitee_answers(
    group: Chat, alice: User, bob: User, carol: User
) -> None:
    invitation = do_invite(membership(bob, group), carol)

    with pytest.raises(Refused, match="Only the person invited"):
        do_answer_invitation(alice, invitation.pk, accept=True)


def test_invitation_before_the_invitee_answers_cannot_be_approved(
    group: Chat, alice: User, bob: User, carol: User
) -> None:
    invitation = do_invite(membership(bob, group), carol)

    with pytest.raises(Refused, match="still waiting for an answer"):
        do_decide_invitation(alice, invitation.pk, approve=True)


def test_second_open_invitation_of_the_same_person_is_refused(
    group: Chat, alice: User, bob: User, carol: User
) -> None:
    do_invite(membership(bob, group), carol)

    with pytest.raises(Refused, match="already has an open invitation"):
        do_invite(membership(alice, group), carol)


def test_database_allows_one_open_invitation_per_person_and_group(
    group: Chat, alice: User, bob: User, carol: User
) -> None:
    ChatInvitation.objects.create(
        chat=group, group_name="x", inviter=bob, invitee=carol
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        ChatInvitation.objects.create(
            chat=group,
            group_name="x",
            inviter=alice,
            invitee=carol,
            state=State.AWAITING_APPROVAL,
        )
    ChatInvitation.objects.create(
        chat=group, group_name="x", inviter=alice, invitee=carol, state=State.DECLINED
    )


def test_closed_invitation_leaves_room_for_a_new_one(
    group: Chat, bob: User, carol: User
) -> None:
    first = do_invite(membership(bob, group), carol)
    do_answer_invitation(carol, first.pk, accept=False)

    second = do_invite(membership(bob, group), carol)

    assert second.state == State.PENDING


def test_inviting_a_member_or_a_non_friend_is_refused(
    group: Chat, bob: User, alice: User, make_user
) -> None:
    stranger = make_user("dave")

    with pytest.raises(Refused, match="already in this group"):
        do_invite(membership(bob, group), alice)
    with pytest.raises(Refused, match="not one"):
        do_invite(membership(bob, group), stranger)
    assert not ChatInvitation.objects.exists()


def test_invitations_between_former_friends_end(
    group: Chat, alice: User, bob: User, carol: User, make_user
) -> None:
    dave = make_user("dave")
    befriend(alice, dave)
    invitation = do_invite(membership(bob, group), carol)
    other = do_invite(membership(alice, group), dave)

    do_end_invitations_between(carol, bob)

    invitation.refresh_from_db()
    other.refresh_from_db()
    assert invitation.state == State.CANCELLED
    assert other.state == State.PENDING


def test_block_ends_open_invitations_and_refuses_new_ones(
    group: Chat, bob: User, carol: User
) -> None:
    """S7: no group invitations from someone you blocked."""
    from social.actions import do_block_user

    invitation = do_invite(membership(bob, group), carol)

    do_block_user(carol, bob)

    invitation.refresh_from_db()
    assert invitation.state == State.CANCELLED
    with pytest.raises(Refused):
        do_invite(membership(bob, group), carol)


def test_unanswered_invitation_expires(
    group: Chat, bob: User, carol: User, settings
) -> None:
    invitation = do_invite(membership(bob, group), carol)
    old = invitation.created - timedelta(days=settings.NOVA_INVITATION_DAYS + 1)
    ChatInvitation.objects.filter(pk=invitation.pk).update(created=old)

    with pytest.raises(Refused, match="expired"):
        do_answer_invitation(carol, invitation.pk, accept=True)

    invitation.refresh_from_db()
    assert invitation.state == State.EXPIRED
    assert do_invite(membership(bob, group), carol).state == State.PENDING


def test_admin_inviter_who_left_needs_approval_for_the_accept(
    group: Chat, alice: User, bob: User, carol: User
) -> None:
    """An invitation outlives its inviter's leaving, but the inviter's say
    goes with their role: the accept then waits for an owner or admin."""
    do_change_member(membership(alice, group), GroupAction.APPOINT_ADMIN, bob.pk)
    invitation = do_invite(membership(bob, group), carol)
    do_leave_group(membership(bob, group), None)

    do_answer_invitation(carol, invitation.pk, accept=True)

    invitation.refresh_from_db()
    assert invitation.state == State.AWAITING_APPROVAL
    assert role_of(carol, group) is None


def test_disbanding_ends_open_invitations_as_disbanded(
    group: Chat, alice: User, bob: User, carol: User, client_for
) -> None:
    invitation = do_invite(membership(bob, group), carol)

    client_for(alice).post(reverse("chat:disband", args=[group.pk]))

    invitation.refresh_from_db()
    assert not Chat.objects.filter(pk=group.pk).exists()
    assert invitation.state == State.DISBANDED
    assert invitation.chat is None
    assert invitation.group_name == "Hikers"
    page = client_for(carol).get(reverse("chat:index")).text
    assert "Group disbanded" in page
    assert "Hikers" in page
    with pytest.raises(Refused, match="no longer exists"):
        do_answer_invitation(carol, invitation.pk, accept=True)


def test_invitee_accepts_from_the_invitation_box_without_scripts(
    group: Chat, alice: User, carol: User, client_for
) -> None:
    invitation = do_invite(membership(alice, group), carol)
    client = client_for(carol)
    page = client.get(reverse("chat:index")).text
    url = reverse("chat:invitation_step", args=[invitation.pk, "accept"])
    assert f'action="{url}"' in page

    response = client.post(url)

    assert response["Location"] == reverse("chat:detail", args=[group.pk])
    assert role_of(carol, group) == Role.MEMBER


def test_strangers_cannot_see_or_act_on_an_invitation(
    group: Chat, bob: User, carol: User, make_user, client_for
) -> None:
    invitation = do_invite(membership(bob, group), carol)
    client = client_for(make_user("mallory"))

    for step in ("accept", "decline", "approve", "refuse", "cancel"):
        url = reverse("chat:invitation_step", args=[invitation.pk, step])
        assert client.post(url).status_code == 404
    invitation.refresh_from_db()
    assert invitation.state == State.PENDING


# Leaving (C7).


def test_member_and_admin_leave_freely(
    group: Chat, alice: User, bob: User, carol: User
) -> None:
    do_invite(membership(alice, group), carol)
    invitation = ChatInvitation.objects.get()
    do_answer_invitation(carol, invitation.pk, accept=True)
    do_change_member(membership(alice, group), GroupAction.APPOINT_ADMIN, carol.pk)

    do_leave_group(membership(bob, group), None)
    do_leave_group(membership(carol, group), None)

    assert role_of(bob, group) is None
    assert role_of(carol, group) is None
    assert lines(group)[-2:] == ["bob left the group", "carol left the group"]


def test_owner_must_name_a_successor(group: Chat, alice: User, bob: User) -> None:
    with pytest.raises(Refused, match="Name a new owner"):
        do_leave_group(membership(alice, group), None)

    do_leave_group(membership(alice, group), bob.pk)

    assert role_of(bob, group) == Role.OWNER
    assert role_of(alice, group) is None
    assert lines(group)[-1] == "alice left the group; bob is now the owner"


def test_last_member_leaving_deletes_the_group(
    group: Chat, alice: User, bob: User
) -> None:
    do_leave_group(membership(bob, group), None)

    deleted = do_leave_group(membership(alice, group), None)

    assert deleted
    assert not Chat.objects.filter(pk=group.pk).exists()


def test_leaver_is_sent_to_the_chat_list_and_cannot_post(
    group: Chat, bob: User, client_for
) -> None:
    client = client_for(bob)

    response = client.post(reverse("chat:leave", args=[group.pk]))
    again = client.post(
        reverse("chat:send", args=[group.pk]),
        {"body": "still here?", "client_token": "0" * 32},
    )

    assert response["Location"] == reverse("chat:index")
    assert again.status_code == 404


def test_htmx_leave_sends_the_tab_to_the_chat_list(
    group: Chat, bob: User, client_for
) -> None:
    response = client_for(bob).post(
        reverse("chat:leave", args=[group.pk]), headers={"HX-Request": "true"}
    )

    assert response["HX-Redirect"] == reverse("chat:index")


# Races (run on PostgreSQL too: the group's row lock orders them).


@pytest.mark.django_db(transaction=True)
def test_two_admins_approving_at_once_make_one_join(
    alice: User, bob: User, carol: User, make_user
) -> None:
    dave = make_user("dave")
    chat = group_of(alice, bob, carol)
    do_change_member(membership(alice, chat), GroupAction.APPOINT_ADMIN, carol.pk)
    befriend(bob, dave)
    invitation = do_invite(membership(bob, chat), dave)
    do_answer_invitation(dave, invitation.pk, accept=True)

    results, errors = run_at_once(
        lambda: do_decide_invitation(alice, invitation.pk, approve=True),
        lambda: do_decide_invitation(carol, invitation.pk, approve=True),
    )

    assert errors == []
    assert [r.state for r in results] == [State.JOINED, State.JOINED]
    assert Membership.objects.filter(chat=chat, user=dave).count() == 1
    assert sum("dave joined" in line for line in lines(chat)) == 1


@pytest.mark.django_db(transaction=True)
def test_two_invitations_of_one_person_at_once_make_one(
    alice: User, bob: User, carol: User
) -> None:
    chat = group_of(alice, bob)
    befriend(alice, carol)
    befriend(bob, carol)

    results, errors = run_at_once(
        lambda: do_invite(membership(alice, chat), carol),
        lambda: do_invite(membership(bob, chat), carol),
    )

    assert len(results) == 1
    assert [type(e) for e in errors] == [Refused]
    assert ChatInvitation.objects.filter(chat=chat, invitee=carol).count() == 1


@pytest.mark.django_db(transaction=True)
def test_accepting_twice_at_once_joins_once(
    alice: User, bob: User, carol: User
) -> None:
    chat = group_of(alice, bob)
    befriend(alice, carol)
    invitation = do_invite(membership(alice, chat), carol)

    results, errors = run_at_once(
        lambda: do_answer_invitation(carol, invitation.pk, accept=True),
        lambda: do_answer_invitation(carol, invitation.pk, accept=True),
    )

    assert len(results) == 1
    assert [type(e) for e in errors] == [Refused]
    assert Membership.objects.filter(chat=chat, user=carol).count() == 1


# Each member's own settings (C8).


def test_muted_chat_shows_a_quiet_marker_and_leaves_the_total(
    group: Chat, alice: User, bob: User, client_for
) -> None:
    do_update_member_settings(
        membership(bob, group), muted=True, pinned=False, nickname=""
    )
    do_send_message(membership(alice, group), "psst", uuid.uuid4())

    page = client_for(bob).get(reverse("chat:index")).text

    assert "quiet-unread" in page
    assert 'id="nav-unread" class="badge rounded-pill text-bg-danger d-none"' in page
    assert "<title>Nova</title>" in page.replace("\n", "").replace("  ", "")


def test_pinned_chat_comes_first_and_its_sort_key_says_so(
    alice: User, bob: User, carol: User, client_for
) -> None:
    from chat.queries import chat_list

    old = befriend(alice, bob)
    befriend(alice, carol)  # newer activity
    do_update_member_settings(
        membership(alice, old), muted=False, pinned=True, nickname=""
    )

    rows = chat_list(alice)

    assert rows[0].chat_id == old.pk
    assert rows[0].pinned
    assert rows[0].sort_key > rows[1].sort_key
    assert rows[0].sort_key.startswith("1|")
    assert rows[1].sort_key.startswith("0|")


def test_group_nickname_is_shown_to_members_unless_they_have_a_remark(
    group: Chat, alice: User, bob: User, carol: User, client_for
) -> None:
    from social.models import Friendship

    do_invite(membership(alice, group), carol)
    do_answer_invitation(carol, ChatInvitation.objects.get().pk, accept=True)
    do_update_member_settings(
        membership(bob, group), muted=False, pinned=False, nickname="Bobby"
    )
    Friendship.objects.filter(user=alice, friend=bob).update(remark="My Bob")
    do_send_message(membership(bob, group), "hi", uuid.uuid4())

    carol_page = client_for(carol).get(reverse("chat:detail", args=[group.pk])).text
    alice_page = client_for(alice).get(reverse("chat:detail", args=[group.pk])).text

    sender = f'<span class="message-sender name-of-{bob.pk}" dir="auto">'
    assert f"{sender}Bobby</span>" in carol_page
    assert "Bobby: hi" in carol_page  # the chat-list preview
    assert f"{sender}My Bob</span>" in alice_page


def test_private_chat_takes_no_nickname(alice: User, bob: User) -> None:
    chat = befriend(alice, bob)

    do_update_member_settings(
        membership(alice, chat), muted=True, pinned=False, nickname="Al"
    )

    assert membership(alice, chat).nickname == ""
    assert membership(alice, chat).muted


def test_too_long_nickname_is_refused_with_the_reason(
    group: Chat, bob: User, client_for
) -> None:
    response = client_for(bob).post(
        reverse("chat:settings", args=[group.pk]), {"nickname": "x" * 33}
    )

    assert flash(response) == ["A nickname can be at most 32 characters."]
    assert membership(bob, group).nickname == ""


def test_clear_history_hides_earlier_messages_for_that_member_only(
    group: Chat, alice: User, bob: User, client_for
) -> None:
    do_send_message(membership(alice, group), "before", uuid.uuid4())
    client_for(bob).post(reverse("chat:clear", args=[group.pk]))
    do_send_message(membership(alice, group), "after", uuid.uuid4())

    bob_page = client_for(bob).get(reverse("chat:detail", args=[group.pk])).text
    alice_page = client_for(alice).get(reverse("chat:detail", args=[group.pk])).text

    assert "before" not in bob_page
    assert "after" in bob_page
    assert "before" in alice_page
    assert "after" in alice_page


def test_cleared_history_has_no_preview_and_a_cursor_past_it(
    group: Chat, alice: User, bob: User, client_for
) -> None:
    message, _ = do_send_message(membership(alice, group), "secret", uuid.uuid4())

    do_clear_history(membership(bob, group))

    page = client_for(bob).get(reverse("chat:detail", args=[group.pk])).text
    assert "secret" not in page
    assert f'data-cursor="{message.pk}"' in page
    assert membership(bob, group).unread_count == 0


def test_catch_up_leaves_out_cleared_messages(
    group: Chat, alice: User, bob: User
) -> None:
    from chat.queries import catch_up

    do_send_message(membership(alice, group), "old", uuid.uuid4())
    do_clear_history(membership(bob, group))
    new, _ = do_send_message(membership(alice, group), "new", uuid.uuid4())

    state = catch_up(bob, membership(bob, group), 0)

    assert [item.message.pk for item in state.items] == [new.pk]


def test_search_and_permalinks_leave_out_cleared_messages(
    group: Chat, alice: User, bob: User, client_for
) -> None:
    old, _ = do_send_message(membership(alice, group), "picnic plans", uuid.uuid4())
    do_clear_history(membership(bob, group))
    new, _ = do_send_message(membership(alice, group), "picnic moved", uuid.uuid4())
    bob_client, alice_client = client_for(bob), client_for(alice)

    bob_found = bob_client.get(reverse("chat:search", args=[group.pk]), {"q": "picnic"})
    alice_found = alice_client.get(
        reverse("chat:search", args=[group.pk]), {"q": "picnic"}
    )
    cleared_link = bob_client.get(reverse("chat:message", args=[group.pk, old.pk]))
    kept_link = bob_client.get(reverse("chat:message", args=[group.pk, new.pk]))

    assert "picnic moved" in bob_found.text
    assert "picnic plans" not in bob_found.text
    assert "picnic plans" in alice_found.text
    assert cleared_link.status_code == 404
    assert kept_link.status_code == 200
    assert "picnic plans" not in kept_link.text
    assert "picnic moved" in kept_link.text


@pytest.mark.parametrize("size", [3, 12])
def test_group_page_query_count_does_not_grow_with_members(
    size: int, make_user, client_for, django_assert_num_queries
) -> None:
    owner = make_user("owner")
    members = [make_user(f"member{i}") for i in range(size)]
    chat = group_of(owner, *members)
    client = client_for(owner)
    client.post(reverse("chat:announce", args=[chat.pk]), {"body": "hello"})
    befriend(members[0], make_user("guest"))
    invitation = do_invite(
        membership(members[0], chat), User.objects.get(username="guest")
    )
    do_answer_invitation(invitation.invitee, invitation.pk, accept=True)

    # the open-chat page (20, see test_chat), the nicknames of preview
    # senders, and the group panel: members, announcements, invitations,
    # remarks, the viewer's friends to invite
    with django_assert_num_queries(26):
        client.get(reverse("chat:detail", args=[chat.pk]))


# htmx answers carry the same fragments as the live push.

HTMX = {"HX-Request": "true"}


def test_htmx_invite_answers_with_the_panel_out_of_band(
    group: Chat, bob: User, carol: User, client_for
) -> None:
    response = client_for(bob).post(
        reverse("chat:invite", args=[group.pk]), {"invitee": carol.pk}, headers=HTMX
    )

    assert response.status_code == 200
    assert response["HX-Reswap"] == "none"
    assert f'id="group-panel-{group.pk}"' in response.text
    assert "Waiting for an answer" in response.text
    assert f"You invited {carol.username}." in response.text  # the flash


def test_htmx_refusal_is_shown_and_changes_nothing(
    group: Chat, bob: User, client_for
) -> None:
    response = client_for(bob).post(
        reverse("chat:rename", args=[group.pk]), {"name": "Mine"}, headers=HTMX
    )

    assert "Only the group&#x27;s owner can rename it." in response.text
    assert f'id="group-panel-{group.pk}"' in response.text
    group.refresh_from_db()
    assert group.name == "Hikers"


def test_htmx_decline_keeps_the_invitee_on_their_page(
    group: Chat, bob: User, carol: User, client_for
) -> None:
    invitation = do_invite(membership(bob, group), carol)
    url = reverse("chat:invitation_step", args=[invitation.pk, "decline"])

    response = client_for(carol).post(url, headers=HTMX)

    assert "HX-Redirect" not in response
    assert 'id="invitation-box"' in response.text
    assert "Declined" in response.text
    assert f'id="group-panel-{group.pk}"' not in response.text


def test_member_settings_without_scripts_save_and_return_to_the_chat(
    group: Chat, bob: User, client_for
) -> None:
    response = client_for(bob).post(
        reverse("chat:settings", args=[group.pk]),
        {"muted": "on", "pinned": "on", "nickname": " Bobby "},
    )

    assert response["Location"] == reverse("chat:detail", args=[group.pk])
    saved = membership(bob, group)
    assert (saved.muted, saved.pinned, saved.nickname) == (True, True, "Bobby")


def test_settings_of_a_strangers_chat_are_not_found(
    group: Chat, make_user, client_for
) -> None:
    client = client_for(make_user("mallory"))

    for name in ("chat:settings", "chat:clear"):
        assert client.post(reverse(name, args=[group.pk])).status_code == 404


@pytest.mark.parametrize("value", ["99999999999999999999", "-1", "x"])
def test_ids_that_are_no_ids_are_refused_not_a_server_error(
    value: str, alice: User, bob: User, client_for
) -> None:
    """A friend, an invitee or a successor named by a number no database
    holds gets a clear refusal, never a 500."""
    befriend(alice, bob)
    client = client_for(alice)
    client.post(reverse("chat:new_group"), {"name": "Hikers", "friends": [bob.pk]})
    chat = Chat.objects.get(kind=Chat.Kind.GROUP)

    made = client.post(reverse("chat:new_group"), {"name": "x", "friends": [value]})
    invited = client.post(reverse("chat:invite", args=[chat.pk]), {"invitee": value})
    left = client.post(reverse("chat:leave", args=[chat.pk]), {"successor": value})

    assert made.status_code == 400
    assert "Only your friends can be added." in made.text
    # Plain posts come back to the chat with the refusal as a flash.
    assert invited.status_code == left.status_code == 302
    assert not ChatInvitation.objects.exists()
    assert role_of(alice, chat) == Role.OWNER
    assert Chat.objects.filter(kind=Chat.Kind.GROUP).count() == 1
