"""Project-wide middleware."""

import logging
import time
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.template.response import SimpleTemplateResponse
from django_htmx.http import HttpResponseClientRedirect

logger = logging.getLogger(__name__)


class RequestLogMiddleware:
    """Write one log line per request (O4): method, path, status, user, time."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        logger.info(
            "%s %s %s user=%s %.0fms",
            request.method,
            request.path,
            response.status_code,
            user.pk if user is not None and user.is_authenticated else "-",
            (time.monotonic() - started) * 1000,
        )
        return response


class HtmxMessagesMiddleware:
    """Deliver Django messages on htmx responses too.

    A full page shows pending messages in its ``#flash`` region. An htmx
    response only replaces a fragment, so this appends the same region as
    an out-of-band swap whenever messages are waiting. Views therefore add
    messages the same way whether or not JavaScript is on.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            not getattr(request, "htmx", False)
            or response.status_code in (204, 301, 302, 303)
            or "HX-Redirect" in response
            or not response.get("Content-Type", "").startswith("text/html")
        ):
            return response
        pending = messages.get_messages(request)
        if not pending:
            return response
        if isinstance(response, SimpleTemplateResponse):
            response.render()
        flash = render_to_string(
            "_flash.html", {"messages": pending, "oob": True}, request=request
        )
        response.content = response.content + flash.encode()
        return response


class HtmxLoginRedirectMiddleware:
    """Send an htmx request whose session has ended to the login page.

    ``login_required`` answers with a redirect; htmx would follow it and
    swap the whole login page into a fragment of the current one. This
    asks the browser to go there instead, and back here after logging in.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or response.status_code != 302:
            return response
        login_url = resolve_url(settings.LOGIN_URL)
        if urlsplit(response["Location"]).path != login_url:
            return response
        current = urlsplit(request.headers.get("HX-Current-URL", "")).path or "/"
        return HttpResponseClientRedirect(f"{login_url}?{urlencode({'next': current})}")
