"""Values every signed-in page shows in its navigation."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from chat.queries import unread_totals
from social.queries import incoming_request_counts


def nav_counts(request: HttpRequest) -> dict[str, object]:
    """The total unread count (page title, Chats badge) and the number of
    open friend requests (Friends badge), read only if a template asks."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_total": SimpleLazyObject(lambda: unread_totals([user.pk])[user.pk]),
        "incoming_count": SimpleLazyObject(
            lambda: incoming_request_counts([user.pk])[user.pk]
        ),
    }
