"""Filtering a chat's history by words, senders and days (M8)."""

import re
import uuid
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from accounts.models import User
from chat.actions import do_hide_message, do_recall_message, do_send_message
from chat.models import Chat, Message
from tests.conftest import membership
from tests.test_history import add_messages, group_chat


def say(user: User, chat: Chat, body: str) -> int:
    message, _ = do_send_message(membership(user, chat), body, uuid.uuid4())
    return message.pk


def hits(html: str) -> list[int]:
    return [
        int(pk)
        for pk in re.findall(r'class="search-hit[^"]*" data-message-id="(\d+)"', html)
    ]


def search(client, chat: Chat, **query: object):  # type: ignore[no-untyped-def]
    return client.get(reverse("chat:search", args=[chat.pk]), query)


def test_words_match_in_any_case_and_script_and_all_must_appear(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    lunch = say(bob, private_chat, "Lunch at the ÉCOLE café?")
    say(bob, private_chat, "lunch tomorrow")
    greek = say(alice, private_chat, "ΚΑΛΗΜΕΡΑ lunch École")
    client = client_for(alice)

    both = search(client, private_chat, q="école LUNCH")
    greek_only = search(client, private_chat, q="καλημέρα")
    nothing = search(client, private_chat, q="dinner")

    assert both.status_code == 200
    assert hits(both.text) == [greek, lunch]
    assert hits(greek_only.text) == []  # the accent must match too
    assert hits(search(client, private_chat, q="καλημερα").text) == [greek]
    assert hits(nothing.text) == []
    assert "No messages match." in nothing.text


def test_words_are_text_not_patterns(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    dotted = say(bob, private_chat, "version 1.5 (beta)")
    say(bob, private_chat, "version 125 beta")

    found = search(client_for(alice), private_chat, q="1.5 (beta)")

    assert hits(found.text) == [dotted]


def test_senders_filter_a_group_chat(
    alice: User, bob: User, carol: User, client_for
) -> None:
    chat = group_chat(alice, [bob, carol])
    from_bob = say(bob, chat, "hello from bob")
    from_carol = say(carol, chat, "hello from carol")
    say(alice, chat, "hello from alice")
    client = client_for(alice)

    only_bob = search(client, chat, sender=bob.pk)
    two = client.get(
        reverse("chat:search", args=[chat.pk]) + f"?q=hello&sender={bob.pk}"
        f"&sender={carol.pk}"
    )

    assert hits(only_bob.text) == [from_bob]
    assert hits(two.text) == [from_carol, from_bob]
    assert f'value="{bob.pk}" id="sender-{bob.pk}" checked' in two.text


def test_dates_are_whole_days_in_the_viewers_zone(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    early, late, next_day = add_messages(private_chat, bob, 3)
    for pk, moment in [
        (early, datetime(2024, 6, 1, 0, 30, tzinfo=UTC)),
        (late, datetime(2024, 6, 1, 23, 30, tzinfo=UTC)),
        (next_day, datetime(2024, 6, 2, 12, tzinfo=UTC)),
    ]:
        Message.objects.filter(pk=pk).update(created=moment)
    client = client_for(alice)

    utc = search(client, private_chat, since="2024-06-01", until="2024-06-01", tz="UTC")
    # 2024-06-01 in New York is 04:00 UTC on the 1st to 04:00 on the 2nd.
    new_york = search(
        client,
        private_chat,
        since="2024-06-01",
        until="2024-06-01",
        tz="America/New_York",
    )
    from_the_2nd = search(client, private_chat, since="2024-06-02")

    assert hits(utc.text) == [late, early]
    assert hits(new_york.text) == [late]
    assert hits(from_the_2nd.text)[-1] == next_day


def test_results_come_a_page_at_a_time_newest_first(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    ids = add_messages(private_chat, bob, 120)
    client = client_for(alice)

    seen: list[int] = []
    response = search(client, private_chat, q="note")
    while True:
        seen += hits(response.text)
        older = re.search(r'<a href="(\?[^"]+)" hx-get', response.text)
        if not older:
            break
        url = reverse("chat:search", args=[private_chat.pk]) + older[1].replace(
            "&amp;", "&"
        )
        assert "q=note" in url
        response = client.get(url, headers={"HX-Request": "true"})
        assert "<html" not in response.text

    assert seen == ids[::-1]


def test_each_hit_links_to_the_chat_at_that_message(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    pk = say(bob, private_chat, "find me")

    html = search(client_for(alice), private_chat, q="find").text

    assert f'href="/chats/{private_chat.pk}/messages/{pk}/"' in html


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"since": "yesterday"}, "Give the date as YYYY-MM-DD."),
        ({"since": "2024-02-02", "until": "2024-02-01"}, "start date is after"),
        ({"until": "9999-12-31"}, "Pick a date between 1900 and 9000."),
        ({"sender": "abc"}, "Select a valid choice."),
        ({"q": "x" * 201}, "at most 200 characters"),
        ({"before": "-3", "q": "x"}, "greater than or equal to 1"),
        ({"q": "x", "tz": "Nowhere/Special"}, "Unknown time zone"),
    ],
)
def test_bad_search_gets_a_clear_error(
    query: dict[str, str], error: str, private_chat: Chat, alice: User, client_for
) -> None:
    response = search(client_for(alice), private_chat, **query)

    assert response.status_code == 400
    assert error in response.text


def test_sender_outside_the_chat_is_refused(
    private_chat: Chat, alice: User, carol: User, client_for
) -> None:
    response = search(client_for(alice), private_chat, sender=carol.pk)

    assert response.status_code == 400
    assert "Select a valid choice." in response.text


def test_stranger_cannot_search_a_chat(
    private_chat: Chat, bob: User, carol: User, client_for
) -> None:
    say(bob, private_chat, "secret plans")

    response = search(client_for(carol), private_chat, q="secret")

    assert response.status_code == 404
    assert "secret plans" not in response.text


@pytest.mark.parametrize("messages", [10, 2000])
def test_search_takes_constant_queries(
    messages: int,
    private_chat: Chat,
    alice: User,
    bob: User,
    client_for,
    django_assert_num_queries,
) -> None:
    add_messages(private_chat, bob, messages)
    client = client_for(alice)

    # session, user, access, senders (2: members, remarks), title (2:
    # the other member, remarks), hits, hits' remarks and nicknames,
    # unread total, requests
    with django_assert_num_queries(12):
        search(client, private_chat, q="note 1")


def test_recalled_and_self_deleted_messages_are_not_found(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    hidden = say(bob, private_chat, "needle hidden by alice")
    recalled = say(bob, private_chat, "needle recalled by bob")
    kept = say(bob, private_chat, "needle kept")
    do_hide_message(membership(alice, private_chat), Message.objects.get(pk=hidden))
    do_recall_message(membership(bob, private_chat), Message.objects.get(pk=recalled))

    for_alice = search(client_for(alice), private_chat, q="needle")
    for_bob = search(client_for(bob), private_chat, q="needle")

    assert hits(for_alice.text) == [kept]
    assert hits(for_bob.text) == [kept, hidden]
