"""Fragments rendered once per shape for many members are exactly what
rendering each alone gives (L5)."""

from dataclasses import replace

import pytest

from accounts.live import LiveCount
from accounts.models import User
from chat import fragments
from chat.queries import ChatRow, chat_list
from tests.conftest import befriend

pytestmark = pytest.mark.django_db


def _rows(alice: User, bob: User) -> list[ChatRow]:
    befriend(alice, bob)
    [row] = chat_list(alice)
    # Text a user wrote that looks like the stand-ins must come out as typed.
    row = replace(row, preview="<nova-version> <nova-unread-count> 7")
    return [
        row,
        replace(row, unread_count=1, version=2),
        replace(row, unread_count=12, version=3),
        replace(row, unread_count=12, version=4, muted=True),
        replace(row, unread_count=0, version=5, pinned=True),
        replace(row, title="<b>Team</b> & co", unread_count=3, version=6),
    ]


def test_rows_rendered_once_per_shape_match_rows_rendered_alone(
    alice: User, bob: User
) -> None:
    rows = _rows(alice, bob)

    together = fragments.chat_row_each(rows)

    assert together == [fragments.chat_row(row) for row in rows]
    assert "&lt;nova-version&gt; &lt;nova-unread-count&gt; 7" in together[0]


def test_rows_of_one_shape_are_rendered_once(
    alice: User, bob: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _rows(alice, bob)[1:3]
    rendered: list[ChatRow] = []
    render = fragments.chat_row
    monkeypatch.setattr(
        fragments, "chat_row", lambda row: rendered.append(row) or render(row)
    )

    fragments.chat_row_each(rows)

    assert len(rendered) == 1


def test_badges_rendered_once_per_shape_match_badges_rendered_alone() -> None:
    totals = [
        LiveCount(0, 1),
        LiveCount(1, 2),
        LiveCount(1, 3),
        LiveCount(2, 4),
        LiveCount(40, 5),
        LiveCount(1234, 6),
    ]

    together = fragments.unread_total_each(totals)

    assert together == [fragments.unread_total(total) for total in totals]


def test_badges_of_many_counts_are_rendered_once_per_shape(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rendered: list[LiveCount] = []
    render = fragments.unread_total
    monkeypatch.setattr(
        fragments, "unread_total", lambda total: rendered.append(total) or render(total)
    )

    fragments.unread_total_each(LiveCount(count, 9) for count in range(2, 60))

    assert len(rendered) == 1
