"""Reactions of ``chat`` to changes made in apps below it."""

from typing import Any

from accounts.models import User
from chat.actions import do_end_private_chat, do_open_private_chat


def open_private_chat(sender: Any, users: tuple[User, User], **kwargs: Any) -> None:
    """New friends get their private chat in the same transaction (S3)."""
    do_open_private_chat(*users)


def end_private_chat(sender: Any, users: tuple[User, User], **kwargs: Any) -> None:
    """Former friends lose their private chat in the same transaction (S6)."""
    do_end_private_chat(*users)
