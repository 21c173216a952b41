"""The embedded SQLite backend: this process's writers take turns (O3)."""

import pytest
from django.db import connection, transaction

from accounts.models import User
from tests.conftest import run_at_once

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="the embedded SQLite backend only"
    ),
]


def test_many_writers_at_once_all_commit() -> None:
    """Twenty transactions started at one moment in one process."""

    def write(index: int) -> int:
        with transaction.atomic():
            return User.objects.create(username=f"writer{index}").pk

    results, errors = run_at_once(*(lambda i=i: write(i) for i in range(20)))

    assert errors == []
    assert len(set(results)) == 20


def test_a_rolled_back_writer_lets_the_next_one_in() -> None:
    def undone() -> None:
        with transaction.atomic():
            User.objects.create(username="undone")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        undone()
    with transaction.atomic():
        User.objects.create(username="next")

    assert list(User.objects.values_list("username", flat=True)) == ["next"]
