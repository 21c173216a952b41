"""The channel layer of the embedded default (one daphne process)."""

import asyncio
import logging
import time
from copy import deepcopy
from typing import Any

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

logger = logging.getLogger(__name__)


class NovaInMemoryChannelLayer(InMemoryChannelLayer):
    """Channels' in-memory layer, made cheap for many small groups.

    Nova sends one group per member (``accounts.live``), so a message to a
    chat of M members is M group sends of one channel each, and each of
    Channels' own costs is paid M times (bench/README.md):

    - Channels walks every channel and group membership of the process on
      each ``group_send`` and ``receive`` to drop expired entries; for M =
      200 that was over 200,000 steps per message. Here the sweep runs at
      most once a second; expiry is measured in minutes and a day.
    - Channels' ``group_send`` starts a task per channel and waits for
      them together, and ``send`` and ``receive`` build a new queue on
      every call even when the channel has one. Putting a message on an
      in-memory queue never waits, so here sends do it in place, and a
      queue is built only for a channel without one.
    """

    sweep_interval = 1.0
    _swept_at = float("-inf")

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at < self.sweep_interval:
            return
        self._swept_at = now
        super()._clean_expired()

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        _check(message)
        self.require_valid_channel_name(channel)
        self._put(channel, message)

    async def receive(self, channel: str) -> dict[str, Any]:
        self.require_valid_channel_name(channel)
        self._clean_expired()
        queue = self._queue(channel)
        try:
            _, message = await queue.get()
        finally:
            # A channel with nothing waiting takes no memory.
            if queue.empty() and self.channels.get(channel) is queue:
                del self.channels[channel]
        return message  # type: ignore[no-any-return]

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        # Checked once here: the group's channels were checked as they
        # joined it.
        _check(message)
        self.require_valid_group_name(group)
        self._clean_expired()
        missed = 0
        for channel in list(self.groups.get(group, ())):
            try:
                self._put(channel, message)
            except ChannelFull:
                # As in any Channels layer, a group member whose queue is
                # full misses this one; the tab sees the gap (L3).
                missed += 1
        if missed:
            logger.warning(
                "layer: %s full channel(s) of %s missed a push", missed, group
            )

    def _put(self, channel: str, message: dict[str, Any]) -> None:
        queue = self._queue(channel)
        try:
            # Each receiver gets its own copy, as with a network layer.
            queue.put_nowait((time.time() + self.expiry, deepcopy(message)))
        except asyncio.QueueFull:
            raise ChannelFull(channel) from None

    def _queue(self, channel: str) -> "asyncio.Queue[Any]":
        queue: asyncio.Queue[Any] | None = self.channels.get(channel)
        if queue is None:
            queue = asyncio.Queue(maxsize=self.get_capacity(channel))
            self.channels[channel] = queue
        return queue


def _check(message: dict[str, Any]) -> None:
    if not isinstance(message, dict):
        raise TypeError("A channel-layer message must be a dict.")
    if "__asgi_channel__" in message:
        raise ValueError("A message may not name its own channel.")
