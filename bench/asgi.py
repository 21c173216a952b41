"""Nova's ASGI application plus the bench's "limit": a bare Channels
consumer on the same daphne, for ``bench.run`` only.

``/bench/ws/`` sockets join one group and pass on what they are sent;
a POST to ``/bench/send/`` group-sends one fixed fragment (with the
posted marker in it) to that group. No session, no database, no
rendering: what is left is the cost of daphne, Channels and the channel
layer, the ceiling Nova's own fan-out is measured against. Nothing here is
part of Nova's routing (``nova_site.asgi``).
"""

import html
from typing import Any

from channels.generic.http import AsyncHttpConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import path

from nova_site.asgi import application as nova_application

GROUP = "bench.limit"
# About the size of a message fragment Nova pushes to a group member (a
# message, its chat-list row and the unread badge).
FILLER = "<span class='filler'>" + "x" * 2400 + "</span>"


class BareConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()
        await self.channel_layer.group_add(GROUP, self.channel_name)

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def bench_html(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["html"])


class BareSend(AsyncHttpConsumer):
    async def handle(self, body: bytes) -> None:
        marker = html.escape(body.decode(errors="replace")[:200])
        fragment = f"<div hx-swap-oob='beforeend:#bench'><p>{marker}</p>{FILLER}</div>"
        await self.channel_layer.group_send(
            GROUP, {"type": "bench.html", "html": fragment}
        )
        await self.send_response(204, b"")


bench_application = ProtocolTypeRouter(
    {
        "http": URLRouter([path("bench/send/", BareSend.as_asgi())]),
        "websocket": URLRouter([path("bench/ws/", BareConsumer.as_asgi())]),
    }
)


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] in {"http", "websocket"} and scope["path"].startswith("/bench/"):
        await bench_application(scope, receive, send)
    else:
        await nova_application(scope, receive, send)
