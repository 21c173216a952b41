"""The channel layer of the embedded default (one daphne process)."""

import time

from channels.layers import InMemoryChannelLayer


class NovaInMemoryChannelLayer(InMemoryChannelLayer):
    """Channels' in-memory layer, sweeping out expired messages and group
    members at most once a second instead of on every call.

    Channels' layer walks every channel and every group membership of the
    process on each ``group_send`` and each ``receive``. Nova sends one
    group per member (``accounts.live``), so a message to a chat of M
    members, with every member's tab open, cost two walks of about 3M
    entries per member: for M = 200 that is over 200,000 steps per message,
    which bounded the whole server (bench/README.md). Expiry is measured in
    minutes (messages) and a day (groups); sweeping once a second keeps it.
    """

    sweep_interval = 1.0
    _swept_at = float("-inf")

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at < self.sweep_interval:
            return
        self._swept_at = now
        super()._clean_expired()
