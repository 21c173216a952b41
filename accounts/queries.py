"""Read-only helpers about accounts."""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils import timezone


def session_keys(user_id: int) -> list[str]:
    """The keys of every unexpired session that logs in this user.

    TODO(#3): read the sessions the account keeps track of, instead of
    decoding every live session of the site.
    """
    live_sessions = Session.objects.filter(expire_date__gt=timezone.now())
    return [
        session.session_key
        for session in live_sessions.iterator()
        if session.get_decoded().get(SESSION_KEY) == str(user_id)
    ]
