"""Fetch-or-refuse helpers for accounts, shared by views and the consumer."""

from django.http import Http404

from accounts.models import User


def access_active_user(user_id: int) -> User:
    """Return the active user with this id, or raise Http404.

    Deactivated users are as good as absent to everyone but moderators.
    """
    try:
        return User.objects.get(pk=user_id, is_active=True)
    except User.DoesNotExist:
        raise Http404("No such user.") from None
