"""Request types that say what Nova's middleware has attached."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from accounts.models import User


class HtmxRequest(HttpRequest):
    """Any request: ``HtmxMiddleware`` has set ``htmx``."""

    htmx: HtmxDetails


class AuthedRequest(HtmxRequest):
    """A request to a ``login_required`` view: the user is signed in."""

    user: User
