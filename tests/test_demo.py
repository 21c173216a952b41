"""The demo data command (O6): what it makes, and where it refuses."""

import io

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, F

from accounts.models import User
from chat.demo import DEMO_PASSWORD, GROUPS, PEOPLE, load_demo
from chat.models import Chat, ChatInvitation, Membership, Message
from social.models import FriendGroup, Friendship

pytestmark = pytest.mark.django_db


def run_demo() -> str:
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def history() -> list[tuple[str, str, str, str | None, str]]:
    return list(
        Message.objects.order_by("pk").values_list(
            "chat__kind", "chat__name", "kind", "sender__username", "body"
        )
    )


def test_demo_fills_an_empty_database_with_what_it_advertises() -> None:
    output = run_demo()

    assert DEMO_PASSWORD in output
    users = list(User.objects.order_by("pk"))
    assert [user.username for user in users] == PEOPLE
    assert all(user.check_password(DEMO_PASSWORD) for user in users)
    assert all(user.avatar for user in users)
    # Everyone has friends, filed in named friend groups.
    with_friends = Friendship.objects.values_list("user__username", flat=True)
    assert set(with_friends) == set(PEOPLE)
    assert not Friendship.objects.filter(group__name__isnull=True).exists()
    assert FriendGroup.objects.filter(name="Climbing").count() >= 3
    # Two group chats, each with one owner, admins and plain members.
    groups = Chat.objects.filter(kind=Chat.Kind.GROUP)
    assert groups.count() == 2
    for group in groups:
        roles = list(group.memberships.values_list("role", flat=True))
        assert roles.count(Membership.Role.OWNER) == 1
        assert Membership.Role.ADMIN in roles
        assert Membership.Role.MEMBER in roles
    # Made through the group actions: system lines, an announcement each,
    # nicknames, and invitations in, waiting for approval and unanswered.
    for group in GROUPS:
        chat = groups.get(name=group.name)
        lines = chat.messages.filter(kind=Message.Kind.SYSTEM).order_by("pk")
        assert lines.first().body.startswith(f"{group.owner} created the group")
        assert chat.announcements.get().body == group.announcement
        nicknames = dict(
            chat.memberships.exclude(nickname="").values_list(
                "user__username", "nickname"
            )
        )
        assert nicknames == group.nicknames
        states = dict(
            ChatInvitation.objects.filter(chat=chat).values_list(
                "invitee__username", "state"
            )
        )
        assert states == {
            group.joined[1]: ChatInvitation.State.JOINED,
            group.awaiting_approval[1]: ChatInvitation.State.AWAITING_APPROVAL,
            group.pending[1]: ChatInvitation.State.PENDING,
        }
        assert chat.memberships.filter(user__username=group.joined[1]).exists()
    # A few hundred messages, in time order, each chat previewing its newest.
    assert 300 <= Message.objects.filter(kind=Message.Kind.TEXT).count() <= 500
    for chat in Chat.objects.all():
        times = list(chat.messages.order_by("pk").values_list("created", flat=True))
        assert times == sorted(times)
        assert chat.last_message_id == chat.messages.order_by("-pk").first().pk
    # Replies answer an earlier message of their own chat, and each
    # original counts its replies.
    replies = Message.objects.filter(reply_to__isnull=False).select_related("reply_to")
    assert 30 <= replies.count() <= 120
    for reply in replies:
        assert reply.reply_to.chat_id == reply.chat_id
        assert reply.reply_to.pk < reply.pk
    counted = Message.objects.annotate(n=Count("replies")).exclude(n=F("reply_count"))
    assert not counted.exists()
    # Read state: most chats read, some with messages waiting.
    unread = Membership.objects.filter(unread_count__gt=0).count()
    assert 0 < unread < Membership.objects.count() / 2
    assert Membership.objects.filter(last_read_message_id__gt=0).count() == (
        Membership.objects.count()
    )


def test_demo_run_again_changes_nothing() -> None:
    load_demo()
    before = history()

    output = run_demo()

    assert "already here" in output
    assert history() == before


def test_demo_is_the_same_every_time() -> None:
    with transaction.atomic():
        load_demo()
        first = history()
        transaction.set_rollback(True)

    load_demo()

    assert history() == first


def test_demo_refuses_a_database_with_a_real_account(make_user) -> None:
    make_user("alice")

    with pytest.raises(CommandError, match=r"accounts of real people \(alice\)"):
        run_demo()

    assert list(User.objects.values_list("username", flat=True)) == ["alice"]
    assert not Message.objects.exists()


def test_demo_refusal_exits_non_zero_with_the_reason(make_user, capsys) -> None:
    make_user(PEOPLE[0])  # A demo name, but not a demo account.

    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "demo"])

    assert exit_info.value.code == 1
    assert "nothing was changed" in capsys.readouterr().err
