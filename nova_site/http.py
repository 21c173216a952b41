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


def visited_directly(request: HttpRequest) -> bool:
    """Whether the person opened this page themselves: typed, clicked or
    followed from Nova. A page that another site makes the browser fetch
    (an ``<img>`` pointing here, a cross-site link) says otherwise in its
    Fetch Metadata headers. Browsers without them count as direct.
    """
    site = request.headers.get("Sec-Fetch-Site", "same-origin")
    dest = request.headers.get("Sec-Fetch-Dest", "document")
    return site in {"same-origin", "none"} and dest == "document"
