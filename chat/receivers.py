"""Reactions of ``chat`` to changes made in apps below it."""

from typing import Any

from accounts.models import User
from chat.actions import do_open_private_chat, do_remove_deleted_account


def open_private_chat(sender: Any, users: tuple[User, User], **kwargs: Any) -> None:
    """New friends get their private chat in the same transaction (S3)."""
    do_open_private_chat(*users)


def remove_deleted_account(sender: Any, user: User, **kwargs: Any) -> None:
    """A deleted account leaves every chat in the same transaction (A6)."""
    do_remove_deleted_account(user)
