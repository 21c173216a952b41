"""History: pages, permalinks, a chat at a date, jump to unread (M7-M9)."""

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from chat.actions import do_mark_read, do_send_message
from chat.models import Chat, Membership, Message
from tests.conftest import membership

PAGE = 50


def group_chat(owner: User, members: list[User]) -> Chat:
    """A group chat made directly: group actions come with issue #5."""
    chat = Chat.objects.create(
        kind=Chat.Kind.GROUP, name="team", last_activity=timezone.now()
    )
    Membership.objects.bulk_create(
        [Membership(chat=chat, user=owner, role=Membership.Role.OWNER)]
        + [Membership(chat=chat, user=user) for user in members]
    )
    return chat


def add_messages(
    chat: Chat, sender: User, count: int, same_time: bool = False
) -> list[int]:
    """Store ``count`` messages at once; return their ids, oldest first.
    With ``same_time`` they all carry one timestamp."""
    made = Message.objects.bulk_create(
        [Message(chat=chat, sender=sender, body=f"note {i}") for i in range(count)]
    )
    ids = sorted(m.pk for m in made) or list(
        Message.objects.filter(chat=chat).order_by("pk").values_list("pk", flat=True)
    )
    if same_time:
        Message.objects.filter(chat=chat).update(
            created=datetime(2024, 5, 1, 12, tzinfo=UTC)
        )
    return ids


def shown_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<li id="message-(\d+)"', html)]


def link(html: str, which: str) -> str | None:
    """The address of the page's "older" or "newer" link, if it has one."""
    found = re.search(
        rf'data-history="{which}">\s*<a href="([^"]+)"', html.replace("&amp;", "&")
    )
    return found[1] if found else None


def htmx_get(client: Client, url: str) -> str:
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.text


def test_open_chat_shows_the_newest_page_and_a_link_to_older(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    ids = add_messages(private_chat, bob, 120)

    page = client_for(alice).get(reverse("chat:detail", args=[private_chat.pk])).text

    assert shown_ids(page) == ids[-PAGE:]
    assert link(page, "older") == f"/chats/{private_chat.pk}/?before={ids[-PAGE]}"
    assert link(page, "newer") is None
    assert f'<ol id="messages-{private_chat.pk}"' in page


def test_scrolling_up_loads_every_older_page_to_the_first_message_once(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    """Messages with one timestamp keep the id's order across pages."""
    ids = add_messages(private_chat, bob, 173, same_time=True)
    everything = list(
        Message.objects.filter(chat=private_chat)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    client = client_for(alice)

    page = client.get(reverse("chat:detail", args=[private_chat.pk])).text
    seen = shown_ids(page)
    older = link(page, "older")
    pages = 1
    while older:
        part = htmx_get(client, older)
        assert "<html" not in part
        seen = shown_ids(part) + seen
        older = link(part, "older")
        pages += 1

    assert seen == everything
    assert len(set(seen)) == len(seen)
    assert ids[0] in seen
    assert pages == 4  # 174 messages with the friends line, 50 a page


def test_older_page_without_javascript_is_the_chat_at_that_page(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    ids = add_messages(private_chat, bob, 120)

    response = client_for(alice).get(
        reverse("chat:detail", args=[private_chat.pk]), {"before": ids[-PAGE]}
    )

    assert response.status_code == 200
    assert shown_ids(response.text) == ids[-2 * PAGE : -PAGE]
    assert link(response.text, "newer") == (
        f"/chats/{private_chat.pk}/?after={ids[-PAGE - 1]}"
    )
    assert "Back to the newest" in response.text
    # Not the live list: pushed messages do not belong after this page.
    assert f'<ol id="messages-{private_chat.pk}-window"' in response.text
    assert response["Vary"].count("HX-Request") == 1


def test_page_before_the_first_message_is_empty_and_reads_nothing(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    ids = add_messages(private_chat, bob, 3)
    Membership.objects.filter(user=alice).update(unread_count=3)
    client = client_for(alice)

    response = client.get(reverse("chat:detail", args=[private_chat.pk]), {"before": 1})
    unread = membership(alice, private_chat).unread_count
    onwards = client.get(link(response.text, "newer") or "")

    assert response.status_code == 200
    assert shown_ids(response.text) == []
    assert unread == 3
    assert shown_ids(onwards.text)[-1] == ids[-1]


def test_newer_pages_lead_back_to_the_live_list(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    ids = add_messages(private_chat, bob, 120)
    client = client_for(alice)

    first = htmx_get(client, f"/chats/{private_chat.pk}/?after={ids[0]}")
    second = htmx_get(client, link(first, "newer") or "")
    last = htmx_get(client, link(second, "newer") or "")

    assert shown_ids(first) == ids[1:51]
    assert shown_ids(second) == ids[51:101]
    assert shown_ids(last) == ids[101:]
    assert link(last, "newer") is None


@pytest.mark.parametrize(("members", "messages"), [(2, 10), (40, 5000)])
def test_opening_and_paging_a_chat_take_constant_queries(
    members: int,
    messages: int,
    make_user: Callable[..., User],
    client_for,
    django_assert_num_queries,
) -> None:
    owner = make_user("owner")
    others = [make_user(f"member{index}") for index in range(members - 1)]
    chat = group_chat(owner, others)
    ids = add_messages(chat, others[0], messages)
    client = client_for(owner)
    url = reverse("chat:detail", args=[chat.pk])
    client.get(url)  # read them all

    # session, user, access, history (5: the page and one more, sender
    # remarks, group nicknames, read marks, hidden), mark read (savepoint,
    # newest, lock, count, release), chat list (4: rows, previews,
    # remarks, the preview senders' nicknames), unread total, requests,
    # invitation box (2), group panel (5: members, announcements,
    # invitations, remarks, friends to invite)
    with django_assert_num_queries(26):
        client.get(url)
    # session, user, access, history (5), and whether anything is newer
    with django_assert_num_queries(9):
        client.get(url, {"before": ids[-1]}, headers={"HX-Request": "true"})
    # session, user, access, history (5), the page's predecessor
    with django_assert_num_queries(9):
        client.get(url, {"after": ids[0]}, headers={"HX-Request": "true"})


def test_history_queries_bound_message_ids_from_below_once(
    make_user: Callable[..., User], client_for
) -> None:
    """Two lower bounds on the id (the cleared point and a cursor) let
    SQLite walk the chat's index from the lower one: the whole chat, in a
    chat of a million messages 48 ms a page (bench/README.md)."""
    owner, other = make_user("owner"), make_user("other")
    chat = group_chat(owner, [other])
    ids = add_messages(chat, other, 120)
    client = client_for(owner)
    url = reverse("chat:detail", args=[chat.pk])
    htmx = {"HX-Request": "true"}

    with CaptureQueriesContext(connection) as queries:
        client.get(url)  # the newest page and the first unread
        client.get(url, {"before": ids[60]}, headers=htmx)
        client.get(url, {"after": ids[10]}, headers=htmx)
        client.get(reverse("chat:message", args=[chat.pk, ids[30]]))

    history = [q["sql"] for q in queries if 'FROM "chat_message"' in q["sql"]]
    assert history
    for sql in history:
        lower = re.findall(r'"chat_message"\."id" >=? ', sql)
        assert len(lower) <= 1, sql


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"before": "abc"}, "Enter a whole number."),
        ({"before": "0"}, "greater than or equal to 1"),
        ({"after": "-1"}, "greater than or equal to 0"),
        ({"after": "9" * 30}, "less than or equal to"),
        ({"before": "5", "after": "4"}, "Open history at one place"),
        ({"date": "2024-13-40"}, "Give the date as YYYY-MM-DD."),
        ({"date": "0001-01-01"}, "Pick a date between 1900 and 9000."),
        ({"date": "2024-01-01", "tz": "Mars/Olympus"}, "Unknown time zone"),
        ({"date": "2024-01-01", "tz": "../../etc/passwd"}, "Unknown time zone"),
    ],
)
def test_bad_history_address_gets_a_clear_error_and_the_chat(
    query: dict[str, str], error: str, private_chat: Chat, alice: User, client_for
) -> None:
    response = client_for(alice).get(
        reverse("chat:detail", args=[private_chat.pk]), query
    )

    assert response.status_code == 400
    assert error in response.text
    assert "are now friends" in response.text


def test_stranger_gets_no_history_page(
    private_chat: Chat, bob: User, carol: User, client_for
) -> None:
    ids = add_messages(private_chat, bob, 60)

    response = client_for(carol).get(
        reverse("chat:detail", args=[private_chat.pk]),
        {"before": ids[-1]},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 404
    assert "note" not in response.text


def test_permalink_opens_the_chat_at_that_message(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    ids = add_messages(private_chat, bob, 200)
    target = ids[100]

    page = (
        client_for(alice)
        .get(reverse("chat:message", args=[private_chat.pk, target]))
        .text
    )

    shown = shown_ids(page)
    assert shown == ids[76:126]
    assert f'data-focus-id="{target}"' in page
    assert link(page, "older") == f"/chats/{private_chat.pk}/?before={ids[76]}"
    assert link(page, "newer") == f"/chats/{private_chat.pk}/?after={ids[125]}"


def test_permalink_of_another_chats_message_is_not_found(
    private_chat: Chat, alice: User, bob: User, carol: User, client_for
) -> None:
    from tests.conftest import befriend

    other_chat = befriend(bob, carol)
    [elsewhere] = add_messages(other_chat, carol, 1)

    mine = client_for(alice).get(
        reverse("chat:message", args=[private_chat.pk, elsewhere])
    )
    theirs = client_for(alice).get(
        reverse("chat:message", args=[other_chat.pk, elsewhere])
    )

    assert mine.status_code == 404
    assert theirs.status_code == 404


def test_chat_at_a_date_opens_at_that_days_first_message(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    ids = add_messages(private_chat, bob, 90)
    start = datetime(2024, 3, 1, 9, tzinfo=UTC)
    for offset, pk in enumerate(ids):
        # Two messages a day: the 31st and 32nd fall on 2024-03-16.
        moment = start + timedelta(days=offset // 2, hours=offset % 2)
        Message.objects.filter(pk=pk).update(created=moment)

    page = (
        client_for(alice)
        .get(
            reverse("chat:detail", args=[private_chat.pk]),
            {"date": "2024-03-16", "tz": "UTC"},
        )
        .text
    )
    # In Tokyo, 2024-03-16 begins at 15:00 UTC on the 15th: after the
    # 15th's messages at 09:00 and 10:00 UTC, so on the 16th's first.
    tokyo = (
        client_for(alice)
        .get(
            reverse("chat:detail", args=[private_chat.pk]),
            {"date": "2024-03-16", "tz": "Asia/Tokyo"},
        )
        .text
    )
    # In Honolulu it begins at 10:00 UTC on the 16th: the 16th's second.
    honolulu = (
        client_for(alice)
        .get(
            reverse("chat:detail", args=[private_chat.pk]),
            {"date": "2024-03-16", "tz": "Pacific/Honolulu"},
        )
        .text
    )

    assert f'data-focus-id="{ids[30]}"' in page
    assert f'data-focus-id="{ids[30]}"' in tokyo
    assert f'data-focus-id="{ids[31]}"' in honolulu
    assert ids[30] in shown_ids(page)


def test_chat_at_a_date_after_the_last_message_shows_the_newest(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    ids = add_messages(private_chat, bob, 3)

    response = client_for(alice).get(
        reverse("chat:detail", args=[private_chat.pk]), {"date": "8999-01-01"}
    )

    assert response.status_code == 200
    assert "No messages on or after that date" in response.text
    assert shown_ids(response.text)[-1] == ids[-1]


def test_opening_at_an_old_message_leaves_newer_ones_unread(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    sender = membership(bob, private_chat)
    ids = [
        do_send_message(sender, f"unread {i}", uuid.uuid4())[0].pk for i in range(80)
    ]
    client = client_for(alice)

    client.get(reverse("chat:message", args=[private_chat.pk, ids[0]]))
    reader = membership(alice, private_chat)
    # The window around the first shows it and 25 after it.
    assert reader.last_read_message_id == ids[25]
    assert reader.unread_count == 54

    client.get(reverse("chat:detail", args=[private_chat.pk]))
    assert membership(alice, private_chat).unread_count == 0


def test_jump_to_first_unread_leads_to_it_in_the_page_or_further_back(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    sender = membership(bob, private_chat)
    do_mark_read(membership(alice, private_chat))
    few = [do_send_message(sender, f"a {i}", uuid.uuid4())[0].pk for i in range(3)]
    client = client_for(alice)

    in_page = client.get(reverse("chat:detail", args=[private_chat.pk])).text
    many = [do_send_message(sender, f"b {i}", uuid.uuid4())[0].pk for i in range(70)]
    far = client.get(reverse("chat:detail", args=[private_chat.pk])).text
    none_left = client.get(reverse("chat:detail", args=[private_chat.pk])).text

    assert f'href="#message-{few[0]}" data-jump-unread' in in_page
    assert (
        f'href="/chats/{private_chat.pk}/messages/{many[0]}/" data-jump-unread' in far
    )
    assert "data-jump-unread" not in none_left
