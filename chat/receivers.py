"""Reactions of ``chat`` to changes made in apps below it."""

from collections.abc import Iterable
from typing import Any

from accounts.models import User
from chat.actions import (
    do_end_invitations_between,
    do_end_private_chat,
    do_open_private_chat,
    do_remove_deleted_account,
)
from chat.models import Membership


def open_private_chat(sender: Any, users: tuple[User, User], **kwargs: Any) -> None:
    """New friends get their private chat in the same transaction (S3)."""
    do_open_private_chat(*users)


def end_private_chat(sender: Any, users: tuple[User, User], **kwargs: Any) -> None:
    """Former friends lose their private chat in the same transaction (S6)."""
    do_end_private_chat(*users)


def end_invitations(sender: Any, users: tuple[User, User], **kwargs: Any) -> None:
    """Former friends' open invitations to each other end with the
    friendship (S6, S7): an invitee must be the inviter's friend."""
    do_end_invitations_between(*users)


def remove_deleted_account(sender: Any, user: User, **kwargs: Any) -> None:
    """A deleted account leaves every chat in the same transaction (A6)."""
    do_remove_deleted_account(user)


def chat_partners(sender: Any, user_id: int, **kwargs: Any) -> Iterable[int]:
    """Whose pages show this user: everyone in a chat with them, in one
    query (their messages and chat rows carry the user's avatar)."""
    chat_ids = Membership.objects.filter(user_id=user_id).values("chat_id")
    return set(
        Membership.objects.filter(chat_id__in=chat_ids)
        .exclude(user_id=user_id)
        .values_list("user_id", flat=True)
    )
