"""Reactions of ``social`` to changes made in ``accounts``."""

from typing import Any

from accounts.models import User
from social.actions import do_remove_account_ties


def remove_account_ties(sender: Any, user: User, **kwargs: Any) -> None:
    """A deleted account's friendships, requests and friend groups go in
    the same transaction (A6)."""
    do_remove_account_ties(user)
