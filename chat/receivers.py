"""Reactions of ``chat`` to changes made in apps below it."""

from collections.abc import Iterable
from typing import Any

from accounts.models import User
from chat.actions import do_open_private_chat
from chat.models import Membership


def open_private_chat(sender: Any, users: tuple[User, User], **kwargs: Any) -> None:
    """New friends get their private chat in the same transaction (S3)."""
    do_open_private_chat(*users)


def chat_partners(sender: Any, user_id: int, **kwargs: Any) -> Iterable[int]:
    """Whose pages show this user: everyone in a chat with them, in one
    query (their messages and chat rows carry the user's avatar)."""
    chat_ids = Membership.objects.filter(user_id=user_id).values("chat_id")
    return set(
        Membership.objects.filter(chat_id__in=chat_ids)
        .exclude(user_id=user_id)
        .values_list("user_id", flat=True)
    )
