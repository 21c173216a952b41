"""Fetch-or-refuse helpers for social, shared by views and the consumer."""

from django.http import Http404

from accounts.models import User
from social.models import FriendGroup, FriendRequest, Friendship


def access_outgoing_request(user: User, request_id: int) -> FriendRequest:
    """Return the user's own open request with this id, or raise Http404."""
    try:
        return FriendRequest.objects.select_related("receiver").get(
            pk=request_id, sender=user
        )
    except FriendRequest.DoesNotExist:
        raise Http404("That request is no longer open.") from None


def access_friendship(user: User, friend_id: int) -> Friendship:
    """Return the user's side of their friendship with ``friend_id``, or
    raise Http404 (a stranger's id and a former friend's look the same)."""
    try:
        return Friendship.objects.select_related("user", "friend").get(
            user=user, friend_id=friend_id
        )
    except Friendship.DoesNotExist:
        raise Http404("That person is not your friend.") from None


def access_friend_group(user: User, group_id: int) -> FriendGroup:
    """Return the user's own friend group with this id, or raise Http404."""
    try:
        return FriendGroup.objects.select_related("owner").get(pk=group_id, owner=user)
    except FriendGroup.DoesNotExist:
        raise Http404("No such friend group.") from None
