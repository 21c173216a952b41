"""Fetch-or-refuse helpers for chats, shared by views and the consumer.

A chat the user is not in is reported as missing, never as forbidden, so
a stranger cannot learn which chat ids exist.
"""

from django.http import Http404

from accounts.models import User
from chat.models import Chat, Membership


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
