"""The in-memory channel layer of the embedded default."""

import pytest
from channels.exceptions import ChannelFull

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


async def test_a_full_member_misses_a_group_send_and_the_others_get_it() -> None:
    layer = NovaInMemoryChannelLayer(capacity=1)
    full, free = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("chat", full)
    await layer.group_add("chat", free)
    await layer.send(full, {"type": "live.html", "html": "first"})

    await layer.group_send("chat", {"type": "live.html", "html": "second"})

    assert (await layer.receive(full))["html"] == "first"
    assert (await layer.receive(free))["html"] == "second"
    await layer.send(free, {"type": "live.html", "html": "a"})
    with pytest.raises(ChannelFull):
        await layer.send(free, {"type": "live.html", "html": "b"})


async def test_each_receiver_gets_its_own_copy_and_empty_channels_go() -> None:
    layer = NovaInMemoryChannelLayer()
    first, second = await layer.new_channel(), await layer.new_channel()
    for channel in (first, second):
        await layer.group_add("chat", channel)
    await layer.group_send("chat", {"type": "live.html", "html": "hi"})

    received = await layer.receive(first)
    received["html"] = "changed"

    assert (await layer.receive(second))["html"] == "hi"
    assert layer.channels == {}


async def test_bad_messages_are_refused() -> None:
    layer = NovaInMemoryChannelLayer()
    channel = await layer.new_channel()

    with pytest.raises(TypeError):
        await layer.group_send("chat", "not a dict")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="own channel"):
        await layer.send(channel, {"type": "x", "__asgi_channel__": "y"})
