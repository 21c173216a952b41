"""Fetch-or-refuse helpers for chats, shared by views and the consumer.

A chat the user is not in is reported as missing, never as forbidden, so
a stranger cannot learn which chat ids exist.
"""

from django.http import Http404

from accounts.models import User
from chat import queries
from chat.models import Membership, Message


def access_membership(user: User, chat_id: int) -> Membership:
    """Return the user's membership of the chat, or raise Http404."""
    try:
        return Membership.objects.select_related("chat", "user").get(
            chat_id=chat_id, user=user
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
