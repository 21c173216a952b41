"""The one place that sends live events to open browser tabs.

Every open tab holds one websocket (``chat.consumers.LiveConsumer``) that
joins two channel-layer groups: one for its user and one for its session.
Actions never call this module directly while their transaction is open:
they schedule a fan-out function with ``transaction.on_commit``, and that
function renders fragments and hands them here. A rolled-back write
therefore never reaches a socket.

This lives in ``accounts`` because it is the bottom of the dependency chain
(chat -> social -> accounts): every app can reach it, and users and
sessions are what the groups are named after.
"""

import asyncio
import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveCount:
    """A count a page shows in a badge (unread messages, friend requests)
    and the user's ``live_version`` read with it, so that a tab can tell a
    newer badge from an older one that overtook it."""

    count: int
    version: int


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def presence_group(user_id: int) -> str:
    """The tabs of a user that show friends' online dots (the friends
    page): only they are told of presence changes (M10)."""
    return f"presence.{user_id}"


def session_group(session_key: str) -> str:
    # Group names are limited to 100 ASCII characters; a digest also keeps
    # the session key itself out of the channel layer (and Redis).
    digest = hashlib.sha256(session_key.encode()).hexdigest()[:32]
    return f"session.{digest}"


def send_html(deliveries: Iterable[tuple[int, str]]) -> None:
    """Push each ``(user_id, html)`` fragment to every open tab of that user.

    The html is a list of htmx out-of-band elements; the browser's ws
    extension swaps each into place. Call only after commit.
    """
    events = [
        (user_group(user_id), {"type": "live.html", "html": html})
        for user_id, html in deliveries
    ]
    _send(events)
    logger.debug("live: sent %s fragments", len(events))


def send_presence(deliveries: Iterable[tuple[int, str]]) -> None:
    """Push each ``(user_id, html)`` to that user's tabs that show online
    dots (``presence_group``). Call only after commit."""
    layer = get_channel_layer()
    if layer is None:
        return
    send = async_to_sync(layer.group_send)
    for user_id, html in deliveries:
        send(presence_group(user_id), {"type": "live.html", "html": html})


def end_sessions(session_keys: Iterable[str], html: str) -> None:
    """Tell every tab of these sessions that it is logged out, then close it.

    Call only after commit.
    """
    _send(
        [
            (session_group(key), {"type": "live.logout", "html": html})
            for key in session_keys
        ]
    )


def _send(events: list[tuple[str, dict[str, str]]]) -> None:
    """Send every event from this (synchronous) thread in one trip to the
    event loop. A trip per event costs a thread switch each way, and under
    load the loop's queue in front of it: a message to a 200-member group
    spent most of its time there (bench/README.md)."""
    layer = get_channel_layer()
    if layer is None or not events:
        return
    async_to_sync(_send_all)(layer, events)


async def _send_all(layer: BaseChannelLayer, events: list[tuple[str, Any]]) -> None:
    # Groups are sent to side by side (a Redis layer waits on the network
    # for each); the events of one group keep their order.
    by_group: dict[str, list[Any]] = defaultdict(list)
    for group, event in events:
        by_group[group].append(event)

    async def send_in_order(group: str, group_events: list[Any]) -> None:
        for event in group_events:
            await layer.group_send(group, event)

    await asyncio.gather(*(send_in_order(g, e) for g, e in by_group.items()))


def session_ended_html() -> str:
    """What a tab is told as its session ends, just before its socket closes."""
    return render_to_string("accounts/_session_ended.html")
