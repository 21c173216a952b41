"""The server process's tuning (nova_site.runtime)."""

import gc

import nova_site.asgi  # noqa: F401  (the server's entry point tunes on import)
from nova_site.runtime import YOUNG_GENERATION_THRESHOLD, tune_garbage_collector


def test_the_server_collects_young_objects_less_often_and_skips_its_imports() -> None:
    assert gc.get_threshold()[0] == YOUNG_GENERATION_THRESHOLD
    assert gc.get_freeze_count() > 0


def test_tuning_keeps_the_older_generations_thresholds() -> None:
    before = gc.get_threshold()
    tune_garbage_collector()

    assert gc.get_threshold() == (YOUNG_GENERATION_THRESHOLD, *before[1:])
    assert gc.isenabled()
