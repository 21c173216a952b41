"""Tuning of the server process, applied once by ``nova_site.asgi``."""

import gc

# Python collects the youngest generation of objects every 700 new
# container objects. A request to Nova makes tens of thousands (querysets,
# model instances, template nodes), so collections ran many times per
# request, and every so often one went through all of Django's objects: a
# pause of tens of milliseconds in the one thread that writes to every
# socket, which was most of the 99th percentile of delivery times
# (bench/README.md). Almost all of those objects die young; collecting
# every 20,000 costs a few MB of memory.
YOUNG_GENERATION_THRESHOLD = 20_000


def tune_garbage_collector() -> None:
    """Collect less often, and never look again at what importing Django
    and Nova made: it lives as long as the process."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
