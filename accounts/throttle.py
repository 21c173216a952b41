"""How django-axes counts failed log-ins (A2); see ``AXES_*`` in settings.

Usernames are unique regardless of case and log-in ignores case, so the
failures are counted against the name in lower case: trying "Alice",
"ALICE" and "alice" is three tries at one account, not one at three.
"""

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.http import HttpRequest


def username_of(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The account a log-in try is counted against (``AXES_USERNAME_CALLABLE``)."""
    typed = (credentials or request.POST).get("username")
    # axes keeps at most 255 characters; longer names exist nowhere.
    return str(typed or "").strip().lower()[:255]


class LoginThrottleHandler(AxesDatabaseHandler):
    """axes' database handler, but a success forgets only the failures
    against the account that logged in.

    axes would also forget every failure from the client's address, so
    someone with an account of their own could guess at others' passwords
    from one address for ever, logging in to their own between tries.
    A person who mistyped their own password still starts afresh: their
    failures were all against their own account.
    """

    def reset_user_attempts(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> int:
        username = get_client_username(request, credentials)
        count: int = AccessAttempt.objects.filter(username=username).delete()[0]
        return count
