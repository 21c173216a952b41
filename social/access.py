"""Fetch-or-refuse helpers for social, shared by views and the consumer."""

from django.http import Http404

from accounts.models import User
from social.models import FriendRequest


def access_outgoing_request(user: User, request_id: int) -> FriendRequest:
    """Return the user's own open request with this id, or raise Http404."""
    try:
        return FriendRequest.objects.select_related("receiver").get(
            pk=request_id, sender=user
        )
    except FriendRequest.DoesNotExist:
        raise Http404("That request is no longer open.") from None
