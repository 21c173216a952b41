"""The one websocket of each open tab (L1-L5).

The consumer parses a frame, checks access with the same helpers as the
views, calls one action or query and answers with fragments from
``chat.fragments``. Everything else it passes on was rendered by
``chat.events`` or ``social.events`` and reaches it through the channel
layer groups of ``accounts.live``.
"""

import asyncio
import contextlib
import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError
from django.http import Http404
from django.template.loader import render_to_string

from accounts import live
from accounts.access import session_user_id
from accounts.models import User
from chat import events, fragments, queries
from chat.access import access_membership
from chat.actions import do_mark_read
from social import events as social_events
from social.actions import (
    do_connect,
    do_disconnect,
    do_presence_heartbeat,
    do_settle_presence,
)

logger = logging.getLogger(__name__)

# Close codes of our own (4000-4999 are free for applications). On both,
# the browser script sends the tab to the login page.
SESSION_ENDED = 4001
UNAUTHENTICATED = 4401

# Ids are 64-bit in every database we run on.
MAX_ID = 2**63 - 1


class FrameError(Exception):
    """A frame the consumer cannot act on; the message goes back to the tab,
    with ``html`` (fragments that set the tab right), if any."""

    def __init__(self, message: str, html: str = "") -> None:
        super().__init__(message)
        self.html = html


class LiveConsumer(AsyncWebsocketConsumer):
    user: User
    session_key: str
    groups_joined: list[str]
    recheck: "asyncio.Task[None]"
    heartbeat: "asyncio.Task[None]"
    last_catch_up = -1e9
    last_typing = -1e9
    last_session_check = 0.0
    closed = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # daphne kills a consumer that is slow to shut down (a backlog of
        # frames) without calling disconnect(): the background tasks must
        # not outlive it, or the heartbeat would keep a closed tab online
        # for good. Its connection row then expires like a dead process's.
        # Its groups are left here too, or its process would go on taking
        # the user's pushes for a tab that is gone until the layer's group
        # expiry.
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.closed = True
            for task in (
                getattr(self, "recheck", None),
                getattr(self, "heartbeat", None),
            ):
                if task is not None:
                    task.cancel()
            # Cancelled again while leaving, the shielded leave goes on.
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._leave_groups())

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every handler,
        # a trip to a worker thread each time. Every handler here reaches
        # the database through database_sync_to_async, which does the same
        # in the thread that uses it; the extra trip would be paid on each
        # push, 200 times for a message to a group of 200 (bench/README.md).
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for {message['type']!r}.")
        await handler(message)

    async def connect(self) -> None:
        # Accept first, then close with a reason: a refused handshake tells
        # the browser nothing, and it would retry for ever.
        await self.accept()
        user = self.scope.get("user")
        session = self.scope.get("session")
        if user is None or not user.is_authenticated or session is None:
            logger.info("socket refused: not logged in")
            await self.close(code=UNAUTHENTICATED)
            return
        # A tab names the user its page was drawn for. After a log-out and
        # a log-in as someone else in another tab, the cookie names a new
        # user; the old tab must not reconnect as them.
        params = parse_qs(self.scope.get("query_string", b"").decode())
        page_user = params.get("user")
        if page_user is not None and page_user != [str(user.pk)]:
            logger.info("socket refused: page of another user user=%s", user.pk)
            await self.close(code=SESSION_ENDED)
            return

        self.user = user
        self.session_key = session.session_key
        # The handshake's session was just checked by the auth middleware.
        self.last_session_check = time.monotonic()
        self.groups_joined = [
            live.user_group(user.pk),
            live.session_group(session.session_key),
        ]
        # Only a page that shows friends' online dots is told of them.
        watches_presence = params.get("presence") == ["1"]
        if watches_presence:
            self.groups_joined.append(live.presence_group(user.pk))
        await self._join_groups()
        self.recheck = asyncio.create_task(self._recheck_forever())
        await database_sync_to_async(do_connect)(user.pk, self.channel_name)
        self.heartbeat = asyncio.create_task(self._heartbeat_forever())
        if watches_presence:
            html = await database_sync_to_async(social_events.presence_snapshot)(
                user.pk
            )
            await self.send(text_data=html)
        logger.info("socket open user=%s", user.pk)

    async def disconnect(self, code: int) -> None:
        self.closed = True
        if hasattr(self, "recheck"):
            self.recheck.cancel()
        await self._leave_groups()
        if not hasattr(self, "heartbeat"):
            return
        self.heartbeat.cancel()
        logger.info("socket closed user=%s code=%s", self.user.pk, code)
        # The user's last socket closed. Friends hear of it only if no
        # socket is back after the debounce: a reload, or a connection
        # that drops and returns, tells them nothing (M10).
        if await database_sync_to_async(do_disconnect)(self.channel_name):
            await asyncio.sleep(settings.NOVA_PRESENCE_DEBOUNCE_SECONDS)
            await database_sync_to_async(do_settle_presence)(self.user.pk)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None
    ) -> None:
        if self.closed or not await self._session_still_valid():
            return
        try:
            frame = self._parse(text_data, bytes_data)
            await self._dispatch(frame)
        except FrameError as error:
            # One line per refused frame (L4); the text is ours, never the
            # frame's, so nothing a user typed reaches the log.
            logger.info("frame refused user=%s: %s", self.user.pk, error)
            await self.send(text_data=_error_fragment(str(error)) + error.html)

    def _parse(self, text_data: str | None, bytes_data: bytes | None) -> dict[str, Any]:
        if text_data is None:
            raise FrameError("Frames must be JSON text.")
        if len(text_data.encode()) > settings.NOVA_WS_MAX_FRAME:
            raise FrameError("That frame is too large.")
        try:
            frame = json.loads(text_data)
        except (ValueError, RecursionError):
            raise FrameError("Frames must be JSON text.") from None
        if not isinstance(frame, dict):
            raise FrameError("Frames must be JSON objects.")
        return frame

    async def _dispatch(self, frame: dict[str, Any]) -> None:
        action = frame.get("action")
        if action == "read":
            await database_sync_to_async(self._read)(
                _int(frame, "chat"), _int(frame, "up_to")
            )
        elif action == "catch_up":
            chat_id = None if frame.get("chat") is None else _int(frame, "chat")
            after_id = 0 if frame.get("after") is None else _int(frame, "after", 0)
            # Each catch-up costs queries and rendering; a client asking
            # faster than any tab needs is told so and served nothing.
            now = time.monotonic()
            if now - self.last_catch_up < settings.NOVA_CATCH_UP_INTERVAL:
                raise FrameError("Too many catch-up requests; wait a moment.")
            self.last_catch_up = now
            frames = await database_sync_to_async(self._catch_up)(chat_id, after_id)
            if any(len(html.encode()) > settings.NOVA_WS_MAX_SEND for html in frames):
                raise FrameError("Too much changed to catch up here; reload the page.")
            for html in frames:
                await self.send(text_data=html)
        elif action == "typing":
            # Typing is news, never stored; a socket says it at most once
            # per interval, and frames beyond that are dropped unanswered.
            now = time.monotonic()
            if now - self.last_typing < settings.NOVA_TYPING_INTERVAL:
                return
            self.last_typing = now
            await database_sync_to_async(self._typing)(_int(frame, "chat"))
        else:
            raise FrameError("Unknown action.")

    def _read(self, chat_id: int, up_to_id: int) -> None:
        try:
            membership = access_membership(self.user, chat_id)
        except Http404:
            raise FrameError("You are not in that chat.") from None
        do_mark_read(membership, up_to_id)

    def _typing(self, chat_id: int) -> None:
        try:
            membership = access_membership(self.user, chat_id)
        except Http404:
            raise FrameError("You are not in that chat.") from None
        events.member_typing(membership)

    def _catch_up(self, chat_id: int | None, after_id: int) -> list[str]:
        membership = None
        if chat_id is not None:
            try:
                membership = access_membership(self.user, chat_id)
            except Http404:
                # A tab left open while its user was removed from the
                # chat (or it ended) learns it here: it stops offering to
                # post. A stranger's tab has no such chat to change.
                total = queries.unread_totals([self.user.pk])[self.user.pk]
                gone = fragments.chat_gone(chat_id, None, total)
                raise FrameError("You are not in that chat.", gone) from None
        return fragments.catch_up(queries.catch_up(self.user, membership, after_id))

    async def _session_still_valid(self) -> bool:
        """Close the socket, as a log-out would, once its session no longer
        logs its user in (expired, flushed, password changed, deactivated)."""
        user_id = await database_sync_to_async(session_user_id)(self.session_key)
        if user_id == self.user.pk:
            self.last_session_check = time.monotonic()
            return True
        logger.info("socket closed: session ended user=%s", self.user.pk)
        await self.live_logout({"html": live.session_ended_html()})
        return False

    async def _leave_groups(self) -> None:
        groups, self.groups_joined = getattr(self, "groups_joined", []), []
        for group in groups:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def _join_groups(self) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)

    async def _recheck_forever(self) -> None:
        """Check the session now and then, and renew group membership.

        Channel layers forget group members after ``group_expiry`` (a day
        by default); joining again well before that keeps a long-open tab
        receiving. A session that ended without a log-out (expiry, a
        moderator) is noticed here even if the tab never sends a frame.
        """
        while True:
            await asyncio.sleep(settings.NOVA_WS_RECHECK_SECONDS)
            if not await self._session_still_valid():
                return
            await self._join_groups()

    async def _heartbeat_forever(self) -> None:
        """Keep this socket counted as online, and sweep the rows of any
        server process that died (see ``social.models.LiveConnection``)."""
        while True:
            await asyncio.sleep(settings.NOVA_PRESENCE_HEARTBEAT_SECONDS)
            try:
                await database_sync_to_async(do_presence_heartbeat)(
                    self.channel_name, self.user.pk
                )
            except DatabaseError:
                # A database that is briefly away must not end the
                # heartbeat for good; the next one renews the row.
                logger.warning("presence heartbeat failed user=%s", self.user.pk)

    # Channel-layer events, sent by accounts.live.

    async def live_html(self, event: dict[str, Any]) -> None:
        # A session can end without a log-out (expiry, a moderator). Before
        # passing anything on, check it again if the last check is stale.
        if self.closed:  # A push queued before the socket closed.
            return
        stale = time.monotonic() - self.last_session_check
        if (
            stale > settings.NOVA_WS_SESSION_TTL
            and not await self._session_still_valid()
        ):
            return
        await self.send(text_data=event["html"])

    async def live_logout(self, event: dict[str, Any]) -> None:
        if self.closed:
            return
        self.closed = True
        await self.send(text_data=event["html"])
        await self.close(code=SESSION_ENDED)


def _int(frame: dict[str, Any], key: str, minimum: int = 1) -> int:
    value = frame.get(key)
    # bool is an int in Python; a JSON true is not an id.
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not minimum <= value <= MAX_ID
    ):
        raise FrameError(f"'{key}' must be an id (an integer of at least {minimum}).")
    return value


def _error_fragment(text: str) -> str:
    return render_to_string("chat/_live_error.html", {"error": text})
