"""Demo data (O6): a dozen people who are friends, sorted into friend
groups, two group chats with roles, announcements, nicknames and
invitations, and a few hundred messages, some of them replies, read up
to different points, so a newcomer sees Nova alive at once.

It lives in ``chat``, the app that can reach every other. It fills only a
database without accounts of real people, and the same seed gives the
same people, friendships, groups and messages every time (times are
relative to now, so the history always ends today).
"""

import logging
import random
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.avatars import identicon_png
from accounts.models import User
from chat.access import GroupAction
from chat.actions import (
    do_answer_invitation,
    do_change_member,
    do_create_group,
    do_invite,
    do_mark_read,
    do_post_announcement,
    do_update_member_settings,
)
from chat.models import Chat, ChatAnnouncement, Membership, Message
from social.actions import (
    default_friend_group,
    do_accept_friend_request,
    do_send_friend_request,
)
from social.models import FriendGroup, Friendship

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "nova-demo"
DEMO_EMAIL_DOMAIN = "demo.invalid"
SEED = 2024

PEOPLE = [
    "mei",
    "arjun",
    "sofia",
    "kwame",
    "lena",
    "tomas",
    "yuki",
    "omar",
    "ines",
    "liam",
    "zara",
    "noah",
]

# Who is whose friend, and in which of their friend groups. A pair is
# listed once; each side files the other under its own group.
FRIEND_GROUPS = {
    "mei": {"Climbing": ["sofia", "kwame", "lena"], "Work": ["arjun", "yuki"]},
    "arjun": {"Work": ["mei", "yuki", "omar"], "Family": ["ines"]},
    "sofia": {"Climbing": ["mei", "kwame", "tomas"], "Books": ["zara"]},
    "kwame": {"Climbing": ["mei", "sofia", "lena"]},
    "lena": {"Climbing": ["mei", "kwame"], "Books": ["zara", "noah"]},
    "tomas": {"Climbing": ["sofia"], "Neighbours": ["liam"]},
    "yuki": {"Work": ["mei", "arjun"], "Books": ["noah"]},
    "omar": {"Work": ["arjun"]},
    "ines": {"Family": ["arjun"], "Books": ["zara"]},
    "liam": {"Neighbours": ["tomas"]},
    "zara": {"Books": ["sofia", "lena", "ines", "noah"]},
    "noah": {"Books": ["lena", "yuki", "zara"]},
}


@dataclass(frozen=True)
class DemoGroup:
    """A group chat as the demo makes it, through the group actions."""

    name: str
    owner: str
    # The owner's friends it is created with, then who of them are admins.
    friends: list[str]
    admins: list[str]
    # (admin, their friend): invited and accepted, so in at once.
    joined: tuple[str, str]
    # (plain member, their friend): accepted, waiting for approval.
    awaiting_approval: tuple[str, str]
    # (member, their friend): not answered yet.
    pending: tuple[str, str]
    announcement: str
    nicknames: dict[str, str]


GROUPS = [
    DemoGroup(
        name="Climbing club",
        owner="sofia",
        friends=["mei", "kwame", "tomas"],
        admins=["mei"],
        joined=("mei", "lena"),
        awaiting_approval=("tomas", "liam"),
        pending=("mei", "yuki"),
        announcement="The wall opens at seven on Thursdays. Bring your own chalk.",
        nicknames={"kwame": "Spider Kwame"},
    ),
    DemoGroup(
        name="Book club",
        owner="zara",
        friends=["lena", "noah", "sofia", "ines"],
        admins=["lena", "noah"],
        joined=("noah", "yuki"),
        awaiting_approval=("ines", "arjun"),
        pending=("lena", "mei"),
        announcement="Next book: we vote on Sunday. Suggestions in the chat!",
        nicknames={"zara": "Zara (host)"},
    ),
]

LINES = [
    "Morning! Anyone up for coffee before the stand-up?",
    "I finally finished the chapter, what an ending.",
    "Does Thursday evening still work for everyone?",
    "Running ten minutes late, sorry!",
    "That photo from Saturday is brilliant 😄",
    "Can someone send me the address again?",
    "I'll bring snacks.",
    "Has anyone tried the new place on the corner?",
    "Good luck with the presentation today!",
    "The forecast says rain, shall we move it indoors?",
    "Thanks for yesterday, it was great fun.",
    "I left my water bottle at the wall, has anyone seen it?",
    "Page 212 made me laugh out loud on the train.",
    "Let's vote: pizza or noodles?",
    "Happy birthday!! 🎉",
    "Just landed, see you all tomorrow.",
    "Who has the spare rope?",
    "I can't make it this week, next time for sure.",
    "Here is the link I mentioned: https://example.org/route-guide",
    "That's a great idea.",
    "Can we start half an hour later?",
    "I've booked the table for six.",
    "Did you see the news about the new library?",
    "Sounds good to me 👍",
]

REPLIES = [
    "Agreed!",
    "Ha, yes 😄",
    "Count me in.",
    "I was about to say the same.",
    "Not sure about that one…",
    "Good point.",
    "Thursday works for me.",
    "I'll check and let you know.",
]

GROUP_MESSAGES = 90
PRIVATE_MESSAGES = 12


class DemoRefused(Exception):
    """The database is not one the demo may fill. The message says why."""


@dataclass(frozen=True)
class DemoSummary:
    users: int
    friendships: int
    groups: int
    messages: int


def demo_email(username: str) -> str:
    return f"{username}@{DEMO_EMAIL_DOMAIN}"


def real_accounts() -> list[str]:
    """Usernames of accounts the demo did not make: anyone but its dozen
    people with their demo addresses."""
    demo = Q(pk__in=[])
    for name in PEOPLE:
        demo |= Q(username=name, email=demo_email(name))
    return list(User.objects.exclude(demo).values_list("username", flat=True)[:5])


def load_demo() -> DemoSummary | None:
    """Fill the database with the demo; return what it made, or None when
    the demo is already there. Raises DemoRefused when real people have
    accounts here."""
    real = real_accounts()
    if real:
        raise DemoRefused(
            "This database has accounts of real people ("
            + ", ".join(real)
            + (", …" if len(real) == 5 else "")
            + "). The demo fills only a fresh database; nothing was changed."
        )
    if User.objects.exists():
        return None

    rng = random.Random(SEED)
    start = timezone.now() - timedelta(days=3)
    with transaction.atomic():
        users = _make_people()
        friendships = _make_friends(users)
        groups = _make_groups(users)
        # Everything made so far happened at the start of the history,
        # in the order it was made (``joined`` ties fall back on the id).
        Message.objects.update(created=start)
        Chat.objects.update(created=start, last_activity=start)
        Membership.objects.update(joined=start)
        ChatAnnouncement.objects.update(created=start)
        messages = _write_history(rng, start)
        _read_up_to_somewhere(rng)
    logger.info("demo loaded users=%s messages=%s", len(users), messages)
    return DemoSummary(len(users), friendships, len(groups), messages)


def _make_people() -> dict[str, User]:
    # One hash for everyone: the demo is for looking around, and hashing
    # a dozen times with Argon2 would be the slowest part of it.
    password = make_password(DEMO_PASSWORD)
    users = {}
    for name in PEOPLE:
        user = User(username=name, email=demo_email(name), password=password)
        png = identicon_png(f"demo:{name}")
        user.avatar.save(f"{secrets.token_hex(12)}.png", ContentFile(png), save=False)
        user.save()
        users[name] = user
    return users


def _make_friends(users: dict[str, User]) -> int:
    """Friendships through the real request and accept actions, then each
    side's friend groups.

    TODO(#4): make and fill friend groups through the friend-group
    actions once they exist.
    """
    pairs = set()
    for name, groups in FRIEND_GROUPS.items():
        for friends in groups.values():
            pairs |= {tuple(sorted((name, friend))) for friend in friends}
    for first, second in sorted(pairs):
        do_send_friend_request(users[first], users[second], "")
        do_accept_friend_request(users[second], users[first])

    for name, groups in FRIEND_GROUPS.items():
        default_friend_group(users[name])
        for group_name, friends in groups.items():
            group = FriendGroup.objects.create(owner=users[name], name=group_name)
            Friendship.objects.filter(
                user=users[name], friend__username__in=friends
            ).update(group=group)
    return len(pairs)


def _make_groups(users: dict[str, User]) -> list[Chat]:
    """The group chats, through the same actions members use: created
    with friends, admins appointed, friends of members invited (one in,
    one waiting for approval, one not answered), an announcement and a
    nickname or two."""
    chats = []
    for group in GROUPS:
        owner = users[group.owner]
        chat = do_create_group(owner, group.name, [users[n] for n in group.friends])
        for admin in group.admins:
            do_change_member(
                _membership(owner, chat), GroupAction.APPOINT_ADMIN, users[admin].pk
            )
        invitations = [group.joined, group.awaiting_approval, group.pending]
        for inviter, invitee in invitations:
            invitation = do_invite(_membership(users[inviter], chat), users[invitee])
            if (inviter, invitee) != group.pending:
                do_answer_invitation(users[invitee], invitation.pk, accept=True)
        do_post_announcement(_membership(owner, chat), group.announcement)
        for name, nickname in group.nicknames.items():
            do_update_member_settings(
                _membership(users[name], chat),
                muted=False,
                pinned=False,
                nickname=nickname,
            )
        chats.append(chat)
    return chats


def _membership(user: User, chat: Chat) -> Membership:
    return Membership.objects.select_related("chat", "user").get(user=user, chat=chat)


def _write_history(rng: random.Random, start: datetime) -> int:
    """Messages in every chat, oldest first, spread over the days since
    ``start``; each chat's newest message becomes its preview."""
    span = (timezone.now() - start).total_seconds()
    planned = []
    for chat in Chat.objects.order_by("pk"):
        senders = list(
            Membership.objects.filter(chat=chat)
            .order_by("user_id")
            .values_list("user_id", flat=True)
        )
        count = GROUP_MESSAGES if chat.kind == Chat.Kind.GROUP else PRIVATE_MESSAGES
        for _ in range(count):
            at = start + timedelta(seconds=rng.uniform(60, span - 60))
            planned.append((at, chat.pk, rng.choice(senders), rng.choice(LINES)))
    planned.sort()
    messages = Message.objects.bulk_create(
        Message(chat_id=chat_id, sender_id=sender_id, body=body)
        for _, chat_id, sender_id, body in planned
    )

    # Creating a message stamps it with the present (auto_now_add), so
    # the times of the past are written afterwards. About one message in
    # six answers one of the last few before it in its chat (M5).
    earlier: dict[int, list[Message]] = defaultdict(list)
    for message, (at, *_) in zip(messages, planned, strict=True):
        message.created = at
        recent = earlier[message.chat_id][-8:]
        if recent and rng.random() < 1 / 6:
            original = rng.choice(recent)
            message.reply_to = original
            message.body = rng.choice(REPLIES)
            original.reply_count += 1
        earlier[message.chat_id].append(message)
    Message.objects.bulk_update(
        messages, ["created", "reply_to", "body", "reply_count"], batch_size=500
    )
    for chat in Chat.objects.all():
        newest = chat.messages.order_by("-pk").first()
        if newest is not None:
            Chat.objects.filter(pk=chat.pk).update(
                last_message=newest, last_activity=newest.created
            )
    return len(planned)


def _read_up_to_somewhere(rng: random.Random) -> None:
    """Most people have read most of their chats; some have a few unread
    messages waiting, so badges show."""
    memberships = Membership.objects.select_related("chat", "user").order_by("pk")
    for membership in memberships:
        ids = list(membership.chat.messages.order_by("pk").values_list("pk", flat=True))
        unread = rng.choice([0, 0, 0, 1, 2, 5])
        do_mark_read(membership, ids[-1 - unread] if len(ids) > unread else None)
