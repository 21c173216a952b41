"""Fetch-or-refuse helpers for accounts, shared by views and the consumer."""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.http import Http404
from django.utils.crypto import constant_time_compare

from accounts.models import User


def access_active_user(user_id: int) -> User:
    """Return the active user with this id, or raise Http404.

    Deactivated users are as good as absent to everyone but moderators.
    """
    try:
        return User.objects.get(pk=user_id, is_active=True)
    except User.DoesNotExist:
        raise Http404("No such user.") from None


def session_user_id(session_key: str) -> int | None:
    """The id of the user this session still logs in, or None.

    The same test Django's ``get_user`` applies to every request: the
    session exists and has not expired, names an active user, and carries
    the hash of that user's current password (a password change ends the
    other sessions). The websocket uses it because a socket outlives the
    request that opened it.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    data = store.load()
    user = User.objects.filter(pk=data.get(SESSION_KEY), is_active=True).first()
    if user is None:
        return None
    session_hash = data.get(HASH_SESSION_KEY) or ""
    if not constant_time_compare(session_hash, user.get_session_auth_hash()):
        return None
    return user.pk
