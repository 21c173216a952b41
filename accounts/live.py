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

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
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
    layer = get_channel_layer()
    if layer is None:
        return
    send = async_to_sync(layer.group_send)
    count = 0
    for user_id, html in deliveries:
        send(user_group(user_id), {"type": "live.html", "html": html})
        count += 1
    logger.debug("live: sent %s fragments", count)


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
    layer = get_channel_layer()
    if layer is None:
        return
    send = async_to_sync(layer.group_send)
    for key in session_keys:
        send(session_group(key), {"type": "live.logout", "html": html})


def session_ended_html() -> str:
    """What a tab is told as its session ends, just before its socket closes."""
    return render_to_string("accounts/_session_ended.html")
