"""Answers and reactions of ``social`` to ``accounts``, the app below it."""

from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from accounts.models import User
from social.actions import do_remove_account_ties
from social.models import FriendRequest, Friendship


def friends_and_requesters(sender: Any, user_id: int, **kwargs: Any) -> Iterable[int]:
    """Whose pages show this user: friends, and both ends of an open
    request (the friends page lists them with their avatar)."""
    friend_ids = Friendship.objects.filter(user_id=user_id).values_list(
        "friend_id", flat=True
    )
    requests = FriendRequest.objects.filter(
        Q(sender_id=user_id) | Q(receiver_id=user_id)
    ).values_list("sender_id", "receiver_id")
    asked = {pk for pair in requests for pk in pair}
    return {*friend_ids, *asked} - {user_id}


def remove_account_ties(sender: Any, user: User, **kwargs: Any) -> None:
    """A deleted account's friendships, requests and friend groups go in
    the same transaction (A6)."""
    do_remove_account_ties(user)
