"""What members do with messages (M3-M6, D1): read state, replies, the
message menu, recall, removal, delete-for-me and moderation."""

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from chat import queries
from chat.actions import (
    MessageError,
    do_hide_message,
    do_mark_read,
    do_recall_message,
    do_remove_message,
    do_send_message,
)
from chat.models import Chat, HiddenMessage, Membership, Message
from social.models import FriendRequest
from tests.conftest import befriend, membership

SECRET = "the launch code is 0000"


def group_chat(owner: User, *members: User, admins: tuple[User, ...] = ()) -> Chat:
    """A group chat made directly: group actions come with issue #5."""
    chat = Chat.objects.create(
        kind=Chat.Kind.GROUP, name="team", last_activity=timezone.now()
    )
    Membership.objects.bulk_create(
        [Membership(chat=chat, user=owner, role=Membership.Role.OWNER)]
        + [
            Membership(chat=chat, user=user, role=Membership.Role.ADMIN)
            for user in admins
        ]
        + [Membership(chat=chat, user=user) for user in members]
    )
    return chat


def post(user: User, chat: Chat, body: str, reply_to: Message | None = None) -> Message:
    message, _ = do_send_message(
        membership(user, chat),
        body,
        uuid.uuid4(),
        reply_to_id=reply_to.pk if reply_to else None,
    )
    return message


def action_url(name: str, message: Message) -> str:
    return reverse(f"chat:{name}", args=[message.chat_id, message.pk])


def chat_page(client: Client, chat: Chat) -> str:
    return client.get(reverse("chat:detail", args=[chat.pk])).text


def fresh(message: Message) -> Message:
    return Message.objects.get(pk=message.pk)


# M3: read state


def test_own_message_in_a_private_chat_shows_whether_it_was_read(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    message = post(alice, private_chat, "did you see this?")
    before = chat_page(client_for(alice), private_chat)

    do_mark_read(membership(bob, private_chat))
    after = chat_page(client_for(alice), private_chat)

    assert f'id="read-state-{message.pk}"' in before
    assert "Unread" in before
    assert "Unread" not in after
    assert "Read" in after


def test_others_messages_show_no_read_state(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    message = post(bob, private_chat, "hello alice")

    page = chat_page(client_for(alice), private_chat)

    assert f'id="read-state-{message.pk}"' not in page


def test_group_message_shows_how_many_others_read_it(
    alice: User, bob: User, carol: User, make_user, client_for
) -> None:
    dave = make_user("dave")
    chat = group_chat(alice, bob, carol, dave)
    post(alice, chat, "team news")
    do_mark_read(membership(bob, chat))
    do_mark_read(membership(carol, chat))

    page = chat_page(client_for(alice), chat)

    assert "Read by 2" in page


def test_readers_list_names_who_read_a_group_message(
    alice: User, bob: User, carol: User, client_for
) -> None:
    chat = group_chat(alice, bob, carol)
    message = post(alice, chat, "team news")
    do_mark_read(membership(bob, chat))

    response = client_for(alice).get(
        action_url("readers", message), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert "bob" in response.text
    assert "carol" not in response.text
    assert "<html" not in response.text


def test_readers_page_works_without_javascript(
    alice: User, bob: User, carol: User, client_for
) -> None:
    chat = group_chat(alice, bob, carol)
    message = post(alice, chat, "team news")
    do_mark_read(membership(carol, chat))

    response = client_for(alice).get(action_url("readers", message))

    assert response.status_code == 200
    assert "<html" in response.text
    assert "carol" in response.text


@pytest.mark.parametrize("who", ["member", "stranger"])
def test_readers_of_someone_elses_message_are_not_shown(
    who: str, alice: User, bob: User, carol: User, client_for
) -> None:
    chat = group_chat(alice, bob)
    message = post(alice, chat, "mine")
    viewer = bob if who == "member" else carol

    response = client_for(viewer).get(action_url("readers", message))

    assert response.status_code == 404


def test_read_state_of_a_group_counts_no_row_per_reader(
    alice: User, bob: User, carol: User
) -> None:
    """Read state comes from the members' read marks alone."""
    chat = group_chat(alice, bob, carol)
    first = post(alice, chat, "one")
    second = post(alice, chat, "two")
    do_mark_read(membership(bob, chat), first.pk)

    marks = queries.read_marks(chat.pk)

    assert marks.state(first).readers == 1
    assert marks.state(second).readers == 0


# M5: replies


def test_reply_quotes_its_original_and_counts_on_it(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    original = post(alice, private_chat, "shall we meet at noon?")

    reply = post(bob, private_chat, "yes", reply_to=original)
    page = chat_page(client_for(alice), private_chat)

    assert fresh(reply).reply_to_id == original.pk
    assert fresh(original).reply_count == 1
    assert f'data-quote-of="{original.pk}"' in page
    assert "shall we meet at noon?" in page.split(f'id="message-{reply.pk}"')[1]
    assert "1 reply" in page
    assert reverse("chat:message", args=[private_chat.pk, original.pk]) in page


def test_reply_form_quotes_the_message_answered(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    original = post(bob, private_chat, "what time is it?")

    response = client_for(alice).get(
        reverse("chat:send", args=[private_chat.pk]),
        {"reply_to": original.pk},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert "Replying to" in response.text
    assert f'name="reply_to" value="{original.pk}"' in response.text


def test_reply_form_without_javascript_is_the_chat_page_with_the_quote(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    original = post(bob, private_chat, "what time is it?")

    response = client_for(alice).get(
        reverse("chat:detail", args=[private_chat.pk]), {"reply_to": original.pk}
    )

    assert "Replying to" in response.text
    assert f'name="reply_to" value="{original.pk}"' in response.text


def test_reply_posted_from_the_form_answers_the_original(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    original = post(bob, private_chat, "what time is it?")

    response = client_for(alice).post(
        reverse("chat:send", args=[private_chat.pk]),
        {"body": "noon", "client_token": str(uuid.uuid4()), "reply_to": original.pk},
    )

    assert response.status_code == 302
    reply = Message.objects.get(body="noon")
    assert reply.reply_to_id == original.pk


def test_reply_to_a_message_of_another_chat_is_refused(
    alice: User, bob: User, carol: User, client_for
) -> None:
    ours = befriend(alice, bob)
    theirs = befriend(bob, carol)
    foreign = post(carol, theirs, SECRET)

    response = client_for(alice).post(
        reverse("chat:send", args=[ours.pk]),
        {"body": "what?", "client_token": str(uuid.uuid4()), "reply_to": foreign.pk},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 422
    assert "not in this chat" in response.text
    assert SECRET not in response.text
    assert "what?" in response.text  # the text is kept
    assert not Message.objects.filter(body="what?").exists()
    assert fresh(foreign).reply_count == 0


def test_reply_to_a_recalled_message_is_refused(
    private_chat: Chat, alice: User, bob: User
) -> None:
    original = post(alice, private_chat, "oops")
    do_recall_message(membership(alice, private_chat), original)

    with pytest.raises(MessageError, match="recalled or removed"):
        post(bob, private_chat, "what was that?", reply_to=original)


# M6: recall


def test_sender_recalls_a_message_for_everyone(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    message = post(alice, private_chat, SECRET)

    response = client_for(alice).post(
        action_url("recall", message), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert "You recalled a message" in response.text
    assert fresh(message).status == Message.Status.RECALLED
    assert fresh(message).body == ""
    bob_page = chat_page(client_for(bob), private_chat)
    assert "alice recalled a message" in bob_page
    assert SECRET not in bob_page
    assert SECRET not in chat_page(client_for(alice), private_chat)


def test_recall_without_javascript_goes_back_to_the_chat(
    private_chat: Chat, alice: User, client_for
) -> None:
    message = post(alice, private_chat, SECRET)

    response = client_for(alice).post(action_url("recall", message))

    assert response.status_code == 302
    assert response["Location"].endswith(f"#message-{message.pk}")
    assert fresh(message).status == Message.Status.RECALLED


def test_recall_is_refused_after_the_window(
    private_chat: Chat, alice: User, monkeypatch: pytest.MonkeyPatch, settings
) -> None:
    settings.NOVA_RECALL_SECONDS = 120
    sent_at = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: sent_at)
    message = post(alice, private_chat, "too late to take back")

    monkeypatch.setattr(timezone, "now", lambda: sent_at + timedelta(seconds=121))

    with pytest.raises(MessageError, match="within 2 minutes"):
        do_recall_message(membership(alice, private_chat), message)
    assert fresh(message).is_shown


def test_recall_is_allowed_at_the_end_of_the_window(
    private_chat: Chat, alice: User, monkeypatch: pytest.MonkeyPatch, settings
) -> None:
    settings.NOVA_RECALL_SECONDS = 120
    sent_at = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: sent_at)
    message = post(alice, private_chat, "just in time")

    monkeypatch.setattr(timezone, "now", lambda: sent_at + timedelta(seconds=120))
    do_recall_message(membership(alice, private_chat), message)

    assert fresh(message).status == Message.Status.RECALLED


def test_late_recall_over_http_says_why_and_changes_nothing(
    private_chat: Chat, alice: User, client_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent_at = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: sent_at)
    message = post(alice, private_chat, "said and done")
    monkeypatch.setattr(timezone, "now", lambda: sent_at + timedelta(minutes=5))

    response = client_for(alice).post(
        action_url("recall", message), HTTP_HX_REQUEST="true"
    )

    assert "can be recalled only within 2 minutes" in response.text
    assert "said and done" in response.text
    assert fresh(message).is_shown


def test_nobody_recalls_someone_elses_message(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    message = post(alice, private_chat, "mine")

    response = client_for(bob).post(
        action_url("recall", message), HTTP_HX_REQUEST="true"
    )

    assert "only your own messages" in response.text
    assert fresh(message).is_shown


def test_stranger_cannot_recall_hide_or_remove(
    private_chat: Chat, alice: User, carol: User, client_for
) -> None:
    message = post(alice, private_chat, SECRET)
    client = client_for(carol)

    statuses = [
        client.post(action_url(name, message)).status_code
        for name in ("recall", "hide", "remove", "add_friend")
    ]
    statuses.append(client.get(action_url("message_actions", message)).status_code)

    assert statuses == [404] * 5
    assert fresh(message).is_shown
    assert not HiddenMessage.objects.exists()


def test_message_of_another_chat_is_not_found_through_this_one(
    alice: User, bob: User, carol: User, client_for
) -> None:
    ours = befriend(alice, bob)
    theirs = befriend(bob, carol)
    foreign = post(bob, theirs, SECRET)

    response = client_for(alice).post(reverse("chat:hide", args=[ours.pk, foreign.pk]))

    assert response.status_code == 404
    assert not HiddenMessage.objects.exists()


def test_system_lines_cannot_be_recalled(private_chat: Chat, alice: User) -> None:
    line = Message.objects.get(chat=private_chat, kind=Message.Kind.SYSTEM)

    with pytest.raises(MessageError):
        do_recall_message(membership(alice, private_chat), line)


def test_quote_of_a_recalled_message_says_so(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    original = post(alice, private_chat, SECRET)
    post(bob, private_chat, "what?", reply_to=original)

    do_recall_message(membership(alice, private_chat), original)
    page = chat_page(client_for(bob), private_chat)

    assert "This message was recalled." in page
    assert SECRET not in page


def test_recalled_reply_no_longer_counts(
    private_chat: Chat, alice: User, bob: User
) -> None:
    original = post(alice, private_chat, "question")
    reply = post(bob, private_chat, "answer", reply_to=original)

    do_recall_message(membership(bob, private_chat), reply)

    assert fresh(original).reply_count == 0


def test_chat_list_preview_shows_the_recall(
    private_chat: Chat, alice: User, bob: User
) -> None:
    message = post(alice, private_chat, SECRET)

    do_recall_message(membership(alice, private_chat), message)

    [alice_row] = queries.chat_list(alice)
    [bob_row] = queries.chat_list(bob)
    assert alice_row.preview == "You recalled a message"
    assert bob_row.preview == "alice recalled a message"


# M6: removal by a group's owner or admin


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owner_or_admin_removes_any_message_of_the_group(
    role: str, alice: User, bob: User, carol: User, client_for
) -> None:
    chat = group_chat(alice, carol, admins=(bob,))
    message = post(carol, chat, SECRET)
    remover = alice if role == "owner" else bob

    response = client_for(remover).post(
        action_url("remove", message), HTTP_HX_REQUEST="true"
    )

    assert "removed by an admin" in response.text
    removed = fresh(message)
    assert removed.status == Message.Status.REMOVED_BY_ADMIN
    assert removed.removed_by == remover
    assert removed.body == ""
    carol_page = chat_page(client_for(carol), chat)
    assert "A message was removed by an admin" in carol_page
    assert SECRET not in carol_page


def test_plain_member_cannot_remove_a_message(
    alice: User, bob: User, carol: User, client_for
) -> None:
    chat = group_chat(alice, bob, carol)
    message = post(carol, chat, "keep me")

    response = client_for(bob).post(
        action_url("remove", message), HTTP_HX_REQUEST="true"
    )

    assert "owner and admins can remove messages" in response.text
    assert fresh(message).is_shown


def test_nobody_removes_messages_of_a_private_chat(
    private_chat: Chat, alice: User, bob: User
) -> None:
    message = post(bob, private_chat, "between us")

    with pytest.raises(MessageError):
        do_remove_message(membership(alice, private_chat), message)
    assert fresh(message).is_shown


# M6: delete for me


def test_deleted_for_me_hides_the_message_from_me_alone(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    message = post(bob, private_chat, SECRET)

    response = client_for(alice).post(
        action_url("hide", message), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert SECRET not in response.text
    alice_page = chat_page(client_for(alice), private_chat)
    assert SECRET not in alice_page
    # A placeholder keeps the list's chain of predecessors whole.
    assert f'id="message-{message.pk}"' in alice_page
    assert SECRET in chat_page(client_for(bob), private_chat)


def test_deleting_for_me_twice_is_harmless(
    private_chat: Chat, alice: User, bob: User
) -> None:
    message = post(bob, private_chat, "twice")
    member = membership(alice, private_chat)

    do_hide_message(member, message)
    do_hide_message(member, message)

    assert HiddenMessage.objects.filter(user=alice).count() == 1


def test_hidden_message_is_not_my_preview(
    private_chat: Chat, alice: User, bob: User
) -> None:
    post(bob, private_chat, "earlier words")
    last = post(bob, private_chat, SECRET)

    do_hide_message(membership(alice, private_chat), last)

    [alice_row] = queries.chat_list(alice)
    [bob_row] = queries.chat_list(bob)
    assert alice_row.preview == "earlier words"
    assert bob_row.preview == f"You: {SECRET}"


def test_hidden_message_is_not_found_by_my_search(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    message = post(bob, private_chat, SECRET)
    do_hide_message(membership(alice, private_chat), message)

    response = client_for(alice).get(
        reverse("chat:search", args=[private_chat.pk]), {"q": "launch"}
    )

    assert SECRET not in response.text


# M4: the message menu


def menu(client: Client, message: Message) -> str:
    return client.get(
        action_url("message_actions", message), HTTP_HX_REQUEST="true"
    ).text


def test_menu_of_a_fresh_own_message_offers_reply_recall_and_delete(
    private_chat: Chat, alice: User, client_for
) -> None:
    message = post(alice, private_chat, "mine")

    items = menu(client_for(alice), message)

    assert 'role="menu"' in items
    for label in ("Reply", "Recall", "Delete for me"):
        assert f">{label}<" in items
    assert "Remove for everyone" not in items
    assert "as a friend" not in items


def test_menu_offers_no_recall_of_others_or_late_messages(
    private_chat: Chat,
    alice: User,
    bob: User,
    client_for,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent_at = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: sent_at)
    message = post(alice, private_chat, "mine")

    theirs = menu(client_for(bob), message)
    monkeypatch.setattr(timezone, "now", lambda: sent_at + timedelta(minutes=3))
    late = menu(client_for(alice), message)

    assert ">Recall<" not in theirs
    assert ">Recall<" not in late


def test_group_menu_offers_readers_removal_and_friendship_by_role(
    alice: User, bob: User, carol: User, client_for
) -> None:
    chat = group_chat(alice, bob, carol)
    by_carol = post(carol, chat, "hi all")
    by_alice = post(alice, chat, "welcome")

    owner_sees = menu(client_for(alice), by_carol)
    member_sees = menu(client_for(bob), by_carol)
    own = menu(client_for(alice), by_alice)

    assert "Remove for everyone" in owner_sees
    assert "Remove for everyone" not in member_sees
    assert "Add carol as a friend" in member_sees
    assert ">Readers<" in own
    assert ">Readers<" not in member_sees


def test_menu_offers_no_friendship_to_a_friend(
    alice: User, bob: User, carol: User, client_for
) -> None:
    befriend(alice, carol)
    chat = group_chat(alice, bob, carol)
    message = post(carol, chat, "hi")

    assert "as a friend" not in menu(client_for(alice), message)


def test_message_actions_page_works_without_javascript(
    private_chat: Chat, alice: User, client_for
) -> None:
    message = post(alice, private_chat, "mine")

    page = client_for(alice).get(action_url("message_actions", message)).text

    assert "<html" in page
    assert f'action="{action_url("recall", message)}"' in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_add_friend_from_a_group_message_sends_a_request_naming_the_group(
    alice: User, bob: User, carol: User, client_for
) -> None:
    chat = group_chat(alice, bob, carol)
    message = post(carol, chat, "hi")

    response = client_for(bob).post(action_url("add_friend", message))

    assert response.status_code == 302
    friend_request = FriendRequest.objects.get(sender=bob, receiver=carol)
    assert friend_request.via_chat_id == chat.pk


def test_add_friend_is_refused_from_a_private_chat(
    private_chat: Chat, alice: User, bob: User, client_for
) -> None:
    message = post(bob, private_chat, "hi")

    client_for(alice).post(action_url("add_friend", message))

    assert not FriendRequest.objects.exists()


# D1: moderators


def test_moderator_removes_messages_from_the_admin(
    private_chat: Chat, alice: User, bob: User, make_user, client_for
) -> None:
    moderator = make_user("moderator", is_staff=True, is_superuser=True)
    message = post(alice, private_chat, SECRET)

    response = client_for(moderator).post(
        reverse("admin:chat_message_changelist"),
        {"action": "remove", "_selected_action": [message.pk]},
    )

    assert response.status_code == 302
    removed = fresh(message)
    assert removed.status == Message.Status.REMOVED_BY_MODERATOR
    assert removed.removed_by == moderator
    bob_page = chat_page(client_for(bob), private_chat)
    assert "A message was removed by a moderator" in bob_page
    assert SECRET not in bob_page


@pytest.mark.parametrize("query", ["launch code", "alice", "team"])
def test_admin_finds_messages_by_text_sender_and_chat(
    query: str, alice: User, bob: User, make_user, client_for
) -> None:
    moderator = make_user("moderator", is_staff=True, is_superuser=True)
    chat = group_chat(alice, bob)
    message = post(alice, chat, SECRET)

    page = client_for(moderator).get(
        reverse("admin:chat_message_changelist"), {"q": query}
    )

    assert reverse("admin:chat_message_change", args=[message.pk]) in page.text


def test_admin_lists_messages_by_day(
    private_chat: Chat, alice: User, make_user, client_for
) -> None:
    moderator = make_user("moderator", is_staff=True, is_superuser=True)
    message = post(alice, private_chat, "dated")
    day = message.created

    page = client_for(moderator).get(
        reverse("admin:chat_message_changelist"),
        {
            "created__year": day.year,
            "created__month": day.month,
            "created__day": day.day,
        },
    )

    assert reverse("admin:chat_message_change", args=[message.pk]) in page.text


# Queries


@pytest.mark.parametrize("replies", [2, 30])
def test_open_chat_with_replies_and_hidden_messages_has_constant_queries(
    replies: int,
    private_chat: Chat,
    alice: User,
    bob: User,
    client_for,
    django_assert_num_queries,
) -> None:
    original = post(alice, private_chat, "question")
    for index in range(replies):
        reply = post(bob, private_chat, f"answer {index}", reply_to=original)
        do_hide_message(membership(alice, private_chat), reply)
    client = client_for(alice)
    client.get(reverse("chat:detail", args=[private_chat.pk]))  # read them all

    # session, user, access, history page, originals, remarks, nicknames,
    # read marks, hidden, mark read (4 with its savepoint), list (4: with
    # the preview's fallback), unread total, requests, invitation box (2)
    with django_assert_num_queries(22):
        client.get(reverse("chat:detail", args=[private_chat.pk]))


def test_menu_offers_no_friendship_to_someone_who_left(
    alice: User, bob: User, carol: User, client_for
) -> None:
    chat = group_chat(alice, bob, carol)
    message = post(carol, chat, "bye")
    Membership.objects.filter(chat=chat, user=carol).delete()

    assert "as a friend" not in menu(client_for(bob), message)


@pytest.mark.django_db
def test_reading_only_ones_own_messages_tells_nobody_in_one_query(
    alice: User, bob: User, django_assert_num_queries
) -> None:
    from chat import events

    chat = befriend(alice, bob)
    mine, _ = do_send_message(membership(alice, chat), "hi", uuid.uuid4())

    # what was read from others: nothing, so no read marks and no push
    with django_assert_num_queries(1):
        events.read_states_changed(chat.pk, alice.pk, 0, mine.pk)
