"""The in-memory channel layer of the embedded default."""

import pytest

from nova_site.layers import NovaInMemoryChannelLayer

pytestmark = [
    pytest.mark.asyncio,
    # pytest-django runs tests without the database last, after the
    # browser tests, whose Playwright loop still runs in this thread then.
    pytest.mark.django_db,
]


async def test_layer_delivers_to_every_member_of_a_group() -> None:
    layer = NovaInMemoryChannelLayer()
    channels = [await layer.new_channel() for _ in range(3)]
    for channel in channels:
        await layer.group_add("chat", channel)

    await layer.group_send("chat", {"type": "live.html", "html": "<p>hi</p>"})

    for channel in channels:
        assert (await layer.receive(channel))["html"] == "<p>hi</p>"


async def test_expired_messages_are_swept_once_the_interval_has_passed() -> None:
    """An expired message drops its channel from its groups, as in Channels'
    own layer, but the sweep waits for its interval."""
    layer = NovaInMemoryChannelLayer(expiry=-1)
    channel = await layer.new_channel()
    await layer.group_add("chat", channel)
    await layer.group_send("chat", {"type": "live.html", "html": "late"})
    layer.sweep_interval = 3600.0

    await layer.group_send("chat", {"type": "live.html", "html": "later"})
    kept = channel in layer.groups.get("chat", {})
    layer.sweep_interval = 0.0
    await layer.group_send("chat", {"type": "live.html", "html": "last"})

    assert kept
    assert channel not in layer.groups.get("chat", {})
