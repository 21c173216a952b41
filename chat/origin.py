"""The websocket's Origin check (L1).

Channels' ``AllowedHostsOriginValidator`` compares only the host name, so
another site on the same host but another port (whose pages the browser
sends our cookies with, since cookies ignore ports) could open a socket as
the signed-in user. This check is as strict as Django's CSRF check of an
HTTP Origin: the scheme-less ``host:port`` of the Origin must equal the
Host the socket was opened on, or the Origin must be listed in
``CSRF_TRUSTED_ORIGINS``.
"""

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings


class SameOriginValidator:
    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not _same_origin(scope):
            denier = WebsocketDenier()
            return await denier(scope, receive, send)
        return await self.application(scope, receive, send)


def _same_origin(scope: dict[str, Any]) -> bool:
    headers = dict(scope.get("headers", []))
    origin = headers.get(b"origin", b"").decode("latin-1")
    host = headers.get(b"host", b"").decode("latin-1")
    if not origin or origin == "null":
        return False
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    parts = urlsplit(origin)
    return bool(host) and parts.scheme in {"http", "https"} and parts.netloc == host
