"""Nova's settings with the channel layer picked by ``BENCH_LAYER``.

Only the benchmarks use this module: it lets one run compare the two Redis
layers of channels-redis on the same code (``bench.run layers``).
``core`` is what ``nova_site.settings`` configures for ``REDIS_URL``;
``pubsub`` is channels-redis's other layer; unset keeps
``nova_site.settings``'s choice.
"""

import os

from nova_site.settings import *  # noqa: F403

_layer = os.environ.get("BENCH_LAYER")
_config = {
    "hosts": [os.environ.get("REDIS_URL", "")],
    "prefix": os.environ.get("CHANNEL_PREFIX", "nova"),
}
if _layer == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": _config,
        }
    }
elif _layer == "core":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": _config | {"capacity": 2000, "expiry": 60, "group_expiry": 900},
        }
    }
