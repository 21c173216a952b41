"""Nova's settings with the channel layer picked by ``BENCH_LAYER``.

Only the benchmarks use this module: it lets one run compare the two Redis
layers of channels-redis on the same code. ``core`` is what
``nova_site.settings`` configures for ``REDIS_URL``; ``pubsub`` is the
other one; unset keeps whatever ``nova_site.settings`` chose.
"""

import os

from nova_site.settings import *  # noqa: F403
from nova_site.settings import CHANNEL_LAYERS

_layer = os.environ.get("BENCH_LAYER")
if _layer == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [os.environ["REDIS_URL"]],
                "prefix": os.environ.get("CHANNEL_PREFIX", "nova"),
            },
        }
    }
elif _layer == "core":
    CHANNEL_LAYERS = {
        "default": {
            **CHANNEL_LAYERS["default"],
            "BACKEND": "channels_redis.core.RedisChannelLayer",
        }
    }
