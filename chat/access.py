"""Fetch-or-refuse helpers for chats, shared by views and the consumer.

A chat the user is not in is reported as missing, never as forbidden, so
a stranger cannot learn which chat ids exist.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from chat import queries
from chat.models import Chat, Membership, Message
from social.queries import Relation, with_relations


def access_membership(user: User, chat_id: int) -> Membership:
    """Return the user's membership of the chat, or raise Http404."""
    try:
        return Membership.objects.select_related("chat", "user").get(
            chat_id=chat_id, user=user
        )
    except Membership.DoesNotExist:
        raise Http404("No such chat.") from None


def access_private_chat_with(user: User, other_id: int) -> Membership:
    """Return the user's membership of their private chat with the user
    ``other_id``, or raise Http404 (they are not friends)."""
    key = Chat.private_key_for(user.pk, other_id)
    try:
        return Membership.objects.select_related("chat", "user").get(
            chat__private_key=key, user=user
        )
    except Membership.DoesNotExist:
        raise Http404("No such chat.") from None


def access_message(membership: Membership, message_id: int) -> Message:
    """Return a message of the member's chat that the member may see, or
    raise Http404 (a message of another chat is as missing as none)."""
    message = queries.history(membership).filter(pk=message_id).first()
    if message is None:
        raise Http404("No such message.")
    return message


# What a member may do with a message (M4, M6). The message menu shows
# what these allow, and the actions check them again under a lock.


def recall_refusal(membership: Membership, message: Message, now: datetime) -> str:
    """Why the member may not recall the message now, or "" if they may."""
    if message.kind != Message.Kind.TEXT or message.sender_id != membership.user_id:
        return "You can recall only your own messages."
    if not message.is_shown:
        return "That message was already recalled or removed."
    window = settings.NOVA_RECALL_SECONDS
    if now - message.created > timedelta(seconds=window):
        return (
            f"A message can be recalled only within {_duration(window)} of sending it."
        )
    return ""


def removal_refusal(membership: Membership, message: Message) -> str:
    """Why the member may not remove the message, or "" if they may: a
    group's owner and admins may remove any message in it."""
    if membership.chat.kind != Chat.Kind.GROUP or membership.role not in (
        Membership.Role.OWNER,
        Membership.Role.ADMIN,
    ):
        return "Only the group's owner and admins can remove messages."
    if message.kind != Message.Kind.TEXT:
        return "System lines cannot be removed."
    if not message.is_shown:
        return "That message was already recalled or removed."
    return ""


def can_see_readers(membership: Membership, message: Message) -> bool:
    """Who read a message is shown to its sender, in a group (M3)."""
    return (
        membership.chat.kind == Chat.Kind.GROUP
        and message.kind == Message.Kind.TEXT
        and message.is_shown
        and message.sender_id == membership.user_id
    )


def _duration(seconds: int) -> str:
    if seconds % 60 == 0:
        minutes = seconds // 60
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    return f"{seconds} seconds"


@dataclass(frozen=True)
class MessageActions:
    """What the message menu offers one member for one message (M4)."""

    reply: bool
    recall: bool
    hide: bool
    remove: bool
    readers: bool
    add_friend: bool


def allowed_message_actions(membership: Membership, message: Message) -> MessageActions:
    """Decide the message menu for this member, by the same rules the
    actions check. "Add friend" is for a fellow member of a group (S2):
    someone who left it is no longer met there."""
    user = membership.user
    add_friend = False
    if (
        membership.chat.kind == Chat.Kind.GROUP
        and message.kind == Message.Kind.TEXT
        and message.sender is not None
        and message.sender.is_active
        and message.sender_id != user.pk
        and Membership.objects.filter(
            chat_id=message.chat_id, user_id=message.sender.pk
        ).exists()
    ):
        [relation] = with_relations(user, [message.sender])
        add_friend = relation.relation == Relation.NONE
    return MessageActions(
        reply=message.accepts_replies,
        recall=not recall_refusal(membership, message, timezone.now()),
        hide=True,
        remove=not removal_refusal(membership, message),
        readers=can_see_readers(membership, message),
        add_friend=add_friend,
    )
