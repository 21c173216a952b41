"""Chats and messages over HTTP: access, sending, unread counts, the list."""

import uuid
from functools import partial
from urllib.parse import quote

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from accounts.models import User
from chat.actions import do_mark_read, do_send_message
from chat.models import Chat, Membership, Message
from tests.conftest import befriend, membership, run_at_once

HOSTILE = "<script>alert(1)</script> & <b>bold</b> 🎉"


def send(
    client: Client,
    chat: Chat,
    body: str,
    token: uuid.UUID | None = None,
    **headers: str,
) -> HttpResponse:
    """Post the send form as a browser would, with a fresh token unless
    one is given (to post the same form twice)."""
    data = {"body": body, "client_token": str(token or uuid.uuid4())}
    return client.post(reverse("chat:send", args=[chat.pk]), data, **headers)


def test_opening_a_private_chat_shows_the_friends_system_line(
    private_chat: Chat, alice: User, client_for
) -> None:
    response = client_for(alice).get(reverse("chat:detail", args=[private_chat.pk]))

    assert response.status_code == 200
    assert "alice and bob are now friends" in response.text


def test_stranger_cannot_see_a_chat(
    private_chat: Chat, carol: User, client_for
) -> None:
    response = client_for(carol).get(reverse("chat:detail", args=[private_chat.pk]))

    assert response.status_code == 404


def test_stranger_cannot_post_into_a_chat(
    private_chat: Chat, carol: User, client_for
) -> None:
    before = Message.objects.count()

    response = send(client_for(carol), private_chat, "let me in")

    assert response.status_code == 404
    assert Message.objects.count() == before


def test_anonymous_visitor_is_sent_to_log_in(private_chat: Chat) -> None:
    response = Client().get(reverse("chat:detail", args=[private_chat.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_missing_chat_is_not_found(alice: User, client_for) -> None:
    response = client_for(alice).get("/chats/999999/")

    assert response.status_code == 404


def test_message_is_trimmed_and_keeps_inner_newlines(
    private_chat: Chat, alice: User, client_for
) -> None:
    response = send(client_for(alice), private_chat, "  first line\nsecond line \n")

    assert response.status_code == 302
    message = Message.objects.filter(kind=Message.Kind.TEXT).get()
    assert message.body == "first line\nsecond line"
    assert response["Location"].endswith(f"#message-{message.pk}")


def test_message_text_shows_exactly_as_typed(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    send(client_for(alice), private_chat, HOSTILE)

    page = client_for(bob).get(reverse("chat:detail", args=[private_chat.pk])).text

    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt; 🎉" in page
    )
    assert "<b>bold</b>" not in page
    assert "<script>alert(1)" not in page


def test_links_become_safe_links(private_chat: Chat, alice: User, client_for) -> None:
    send(client_for(alice), private_chat, "see https://example.com/a?b=1&c=2 now")

    page = client_for(alice).get(reverse("chat:detail", args=[private_chat.pk])).text

    assert (
        '<a target="_blank" rel="noopener noreferrer nofollow" '
        'href="https://example.com/a?b=1&amp;c=2">' in page
    )


def test_javascript_urls_are_not_linked(
    private_chat: Chat, alice: User, client_for
) -> None:
    send(client_for(alice), private_chat, "javascript:alert(1)")

    page = client_for(alice).get(reverse("chat:detail", args=[private_chat.pk])).text

    assert 'href="javascript' not in page


def test_empty_message_is_refused_with_a_clear_error(
    private_chat: Chat, alice: User, client_for
) -> None:
    response = send(client_for(alice), private_chat, "   \n  ")

    assert response.status_code == 400
    assert "Write something before sending." in response.text
    assert not Message.objects.filter(kind=Message.Kind.TEXT).exists()


def test_too_long_message_is_refused_and_the_text_is_kept(
    private_chat: Chat, alice: User, client_for
) -> None:
    body = "x" * 4001

    response = send(client_for(alice), private_chat, body, HTTP_HX_REQUEST="true")

    assert response.status_code == 422
    assert "at most 4,000 characters; this one has 4,001" in response.text
    assert body in response.text
    assert not Message.objects.filter(kind=Message.Kind.TEXT).exists()


def test_message_of_exactly_the_limit_is_sent(
    private_chat: Chat, alice: User, client_for
) -> None:
    send(client_for(alice), private_chat, "y" * 4000)

    assert Message.objects.get(kind=Message.Kind.TEXT).body == "y" * 4000


def test_missing_client_token_is_refused(
    private_chat: Chat, alice: User, client_for
) -> None:
    response = client_for(alice).post(
        reverse("chat:send", args=[private_chat.pk]), {"body": "hello"}
    )

    assert response.status_code == 400
    assert "reload the page" in response.text
    assert "hello" in response.text


def test_double_submitted_form_makes_one_message(
    private_chat: Chat, alice: User, client_for
) -> None:
    client, token = client_for(alice), uuid.uuid4()

    first = send(client, private_chat, "only once", token)
    second = send(client, private_chat, "only once", token)

    assert Message.objects.filter(kind=Message.Kind.TEXT).count() == 1
    assert first["Location"] == second["Location"]


def test_htmx_send_returns_a_fresh_form_and_the_message(
    private_chat: Chat, alice: User, client_for
) -> None:
    token = uuid.uuid4()

    response = send(
        client_for(alice), private_chat, "hi", token, HTTP_HX_REQUEST="true"
    )

    message = Message.objects.get(kind=Message.Kind.TEXT)
    assert f'id="message-{message.pk}"' in response.text
    assert f'hx-swap-oob="beforeend:#messages-{private_chat.pk}"' in response.text
    assert 'id="send-form"' in response.text
    assert str(token) not in response.text


@pytest.mark.django_db(transaction=True)
def test_racing_double_submit_makes_one_message(alice: User, bob: User) -> None:
    chat = befriend(alice, bob)
    member = membership(alice, chat)
    token = uuid.uuid4()

    _, errors = run_at_once(
        *(partial(do_send_message, member, "raced", token) for _ in range(2))
    )

    assert errors == []
    assert Message.objects.filter(kind=Message.Kind.TEXT).count() == 1


def test_unread_count_rises_for_the_other_member_and_not_the_sender(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    client = client_for(alice)

    for text in ("one", "two", "three"):
        send(client, private_chat, text)

    assert membership(bob, private_chat).unread_count == 3
    assert membership(alice, private_chat).unread_count == 0


def test_chat_list_and_title_show_unread_counts(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    for text in ("one", "two"):
        send(client_for(alice), private_chat, text)

    page = client_for(bob).get(reverse("chat:index")).text

    assert "<title>(2) Nova</title>" in page
    assert '2<span class="visually-hidden"> unread</span>' in page


def test_opening_a_chat_marks_it_read(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    send(client_for(alice), private_chat, "read me")
    bob_client = client_for(bob)

    bob_client.get(reverse("chat:detail", args=[private_chat.pk]))

    assert membership(bob, private_chat).unread_count == 0
    assert "<title>Nova</title>" in bob_client.get(reverse("chat:index")).text


def test_chat_list_is_ordered_by_last_activity(
    alice: User, bob: User, carol: User, client_for
) -> None:
    with_bob = befriend(alice, bob)
    with_carol = befriend(alice, carol)
    client = client_for(alice)

    send(client, with_bob, "bob comes back on top")
    page = client.get(reverse("chat:index")).text

    assert page.index(f'id="chat-row-{with_bob.pk}"') < page.index(
        f'id="chat-row-{with_carol.pk}"'
    )


def test_chat_row_shows_remark_free_name_and_own_preview(
    private_chat: Chat, alice: User, client_for
) -> None:
    send(client_for(alice), private_chat, "last words")

    page = client_for(alice).get(reverse("chat:index")).text

    assert '<span class="chat-row-title" dir="auto">bob</span>' in page
    assert "You: last words" in page


@pytest.mark.parametrize("friends", [2, 12])
def test_chat_list_query_count_does_not_grow_with_chats(
    friends: int, alice: User, make_user, client_for, django_assert_num_queries
) -> None:
    for index in range(friends):
        chat = befriend(alice, make_user(f"friend{index}"))
        do_send_message(membership(alice, chat), "hello", uuid.uuid4())
    client = client_for(alice)

    # session, user, memberships, partners, remarks, unread total, requests,
    # group invitations and the live version of the invitation box
    with django_assert_num_queries(9):
        client.get(reverse("chat:index"))


@pytest.mark.parametrize("messages", [3, 60])
def test_open_chat_query_count_does_not_grow_with_history(
    messages: int,
    private_chat: Chat,
    alice: User,
    bob: User,
    client_for,
    django_assert_num_queries,
) -> None:
    member = membership(bob, private_chat)
    for index in range(messages):
        do_send_message(member, f"message {index}", uuid.uuid4())
    client = client_for(alice)
    client.get(reverse("chat:detail", args=[private_chat.pk]))  # read them all

    # session, user, access, mark read (2), list (3), header (3),
    # history, sender remarks, group nicknames, read marks, hidden, unread
    # total, requests, group invitations and the invitation box's version
    with django_assert_num_queries(20):
        client.get(reverse("chat:detail", args=[private_chat.pk]))


def test_open_chat_shows_the_newest_fifty_messages(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    member = membership(bob, private_chat)
    for index in range(60):
        do_send_message(member, f"message number {index}", uuid.uuid4())

    page = client_for(alice).get(reverse("chat:detail", args=[private_chat.pk])).text

    assert "message number 59" in page
    assert "message number 10<" in page
    assert "message number 9<" not in page


def test_send_address_opened_directly_leads_back_to_the_chat(
    private_chat: Chat, alice: User, client_for
) -> None:
    """After a refused plain post the browser shows /send/; reloading it
    must not be a dead end."""
    response = client_for(alice).get(reverse("chat:send", args=[private_chat.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("chat:detail", args=[private_chat.pk])


def test_send_address_of_a_stranger_chat_is_not_found(
    private_chat: Chat, carol: User, client_for
) -> None:
    response = client_for(carol).get(reverse("chat:send", args=[private_chat.pk]))

    assert response.status_code == 404


def test_group_chat_members_are_not_told_about_others_chats(
    alice: User, bob: User, carol: User, client_for
) -> None:
    befriend(alice, bob)

    page = client_for(carol).get(reverse("chat:index")).text

    assert "chat-row-" not in page
    assert Membership.objects.filter(user=carol).count() == 0


@pytest.mark.parametrize("path", ["/chats/{}/", "/chats/{}/send/"])
def test_chat_id_past_any_database_range_is_not_found(
    path: str, alice: User, client_for
) -> None:
    response = client_for(alice).get(path.format("9" * 30))

    assert response.status_code == 404


@pytest.mark.parametrize(
    "body", ["\u200b\u2060\ufeff", "\u3164\u3164", "\u202e \u00a0"]
)
def test_message_with_nothing_visible_is_refused(
    body: str, private_chat: Chat, alice: User, client_for
) -> None:
    response = send(client_for(alice), private_chat, body)

    assert response.status_code == 400
    assert "Write something before sending." in response.text
    assert not Message.objects.filter(kind=Message.Kind.TEXT).exists()


def test_htmx_request_of_an_ended_session_is_sent_to_log_in(
    private_chat: Chat,
) -> None:
    chat_url = reverse("chat:detail", args=[private_chat.pk])

    response = Client().post(
        reverse("chat:send", args=[private_chat.pk]),
        {"body": "hello?", "client_token": str(uuid.uuid4())},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver{chat_url}",
    )

    assert response.status_code == 200
    assert (
        response["HX-Redirect"] == f"/accounts/login/?next={quote(chat_url, safe='')}"
    )
    assert not Message.objects.filter(kind=Message.Kind.TEXT).exists()


def test_sent_message_names_its_predecessor(
    private_chat: Chat, alice: User, client_for
) -> None:
    system_line = Message.objects.get(kind=Message.Kind.SYSTEM)

    response = send(client_for(alice), private_chat, "hi", HTTP_HX_REQUEST="true")

    message = Message.objects.get(kind=Message.Kind.TEXT)
    assert f'data-message-id="{message.pk}" data-prev-id="{system_line.pk}"' in (
        response.text
    )


def test_open_chat_list_carries_its_cursor(
    private_chat: Chat, alice: User, client_for
) -> None:
    send(client_for(alice), private_chat, "newest")

    page = client_for(alice).get(reverse("chat:detail", args=[private_chat.pk])).text

    newest = Message.objects.latest("pk")
    assert f'data-cursor="{newest.pk}"' in page


def test_reading_repairs_an_unread_count_that_drifted(
    private_chat: Chat, alice: User, bob: User
) -> None:
    """On PostgreSQL a message can commit after a later one was read; its
    +1 then sits below the read mark. The next read counts afresh."""
    do_send_message(membership(alice, private_chat), "hello", uuid.uuid4())
    do_mark_read(membership(bob, private_chat))
    Membership.objects.filter(user=bob).update(unread_count=1)

    do_mark_read(membership(bob, private_chat))

    assert membership(bob, private_chat).unread_count == 0


def test_chat_page_fetched_by_another_site_marks_nothing_read(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    send(client_for(alice), private_chat, "unseen")

    client_for(bob).get(
        reverse("chat:detail", args=[private_chat.pk]),
        HTTP_SEC_FETCH_SITE="same-site",
        HTTP_SEC_FETCH_DEST="image",
    )

    assert membership(bob, private_chat).unread_count == 1


def test_same_client_token_in_another_chat_is_another_message(
    alice: User, bob: User, carol: User, client_for
) -> None:
    with_bob, with_carol = befriend(alice, bob), befriend(alice, carol)
    client, token = client_for(alice), uuid.uuid4()

    send(client, with_bob, "to bob", token)
    send(client, with_carol, "to carol", token)

    assert Message.objects.get(chat=with_carol, kind=Message.Kind.TEXT).body == (
        "to carol"
    )


def test_sending_and_reading_bump_the_live_versions_of_those_concerned(
    private_chat: Chat, alice: User, bob: User, carol: User
) -> None:
    def versions() -> tuple[int, int, int]:
        found = dict(User.objects.values_list("username", "live_version"))
        return found["alice"], found["bob"], found["carol"]

    before = versions()
    do_send_message(membership(alice, private_chat), "hello", uuid.uuid4())
    after_send = versions()
    do_mark_read(membership(bob, private_chat))
    after_read = versions()

    assert after_send == (before[0] + 1, before[1] + 1, before[2])
    assert after_read == (after_send[0], after_send[1] + 1, after_send[2])


def test_oldest_message_on_the_page_names_its_real_predecessor(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    member = membership(bob, private_chat)
    for index in range(55):
        do_send_message(member, f"message {index}", uuid.uuid4())
    ids = list(Message.objects.order_by("pk").values_list("pk", flat=True))

    page = client_for(alice).get(reverse("chat:detail", args=[private_chat.pk])).text

    oldest_shown, before_it = ids[-50], ids[-51]
    assert f'data-message-id="{oldest_shown}" data-prev-id="{before_it}"' in page
