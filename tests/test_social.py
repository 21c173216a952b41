"""Search, friend requests and friendships (PRODUCT.md S1-S3)."""

import re
from collections.abc import Callable
from functools import partial

import pytest
from django.contrib.messages import get_messages
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from pytest_django import (
    DjangoAssertNumQueries,
    DjangoCaptureOnCommitCallbacks,
)

from accounts.models import User
from chat.models import Chat, Membership, Message
from social.actions import (
    SocialError,
    do_accept_friend_request,
    do_cancel_friend_request,
    do_decline_friend_request,
    do_send_friend_request,
)
from social.models import FriendGroup, FriendRequest, Friendship
from social.queries import Relation
from tests.conftest import Inbox, befriend, run_at_once

FRIENDS_URL = reverse("social:friends")
SEND_URL = reverse("social:send_request")


def accept_url(sender_id: int) -> str:
    return reverse("social:accept_request", args=[sender_id])


def decline_url(sender_id: int) -> str:
    return reverse("social:decline_request", args=[sender_id])


def cancel_url(request_id: int) -> str:
    return reverse("social:cancel_request", args=[request_id])


def ask(client: Client, receiver_id: int, note: str = "") -> HttpResponse:
    return client.post(SEND_URL, {"receiver": receiver_id, "note": note})


def flashed(response: HttpResponse) -> list[str]:
    """The messages a response left for the user (shown on the next page)."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def search(client: Client, query: str, page: int | None = None) -> HttpResponse:
    params: dict[str, str | int] = {"q": query}
    if page is not None:
        params["page"] = page
    return client.get(FRIENDS_URL, params)


def found(response: HttpResponse) -> list[str]:
    return [result.user.username for result in response.context["results"]]


def search_row(response: HttpResponse, user: User) -> str:
    """The HTML of one user's row in the search results."""
    content = response.content.decode()
    start = content.index(f'id="search-result-{user.pk}"')
    return content[start : content.index("</li>", start)]


def friendship_pairs() -> set[tuple[int, int]]:
    return set(Friendship.objects.values_list("user_id", "friend_id"))


def social_state() -> tuple[object, ...]:
    """Everything a friend request action could change."""
    return (
        sorted(
            FriendRequest.objects.values_list("pk", "sender_id", "receiver_id", "note")
        ),
        sorted(friendship_pairs()),
        sorted(Chat.objects.values_list("pk", flat=True)),
        Message.objects.count(),
    )


def private_chat_of(user: User, other: User) -> Chat | None:
    key = Chat.private_key_for(user.pk, other.pk)
    return Chat.objects.filter(private_key=key).first()


# Search (S1)


def test_search_finds_part_of_a_username_ignoring_case(
    alice: User, make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    for name in ["Bobby", "BOBCAT", "jimbob", "robert", "carol"]:
        make_user(name)
    client = client_for(alice)

    response = search(client, "bOb")

    assert response.status_code == 200
    assert found(response) == ["Bobby", "BOBCAT", "jimbob"]


def test_search_never_shows_the_searcher(
    alice: User, make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    make_user("alicia")
    client = client_for(alice)

    response = search(client, "ali")

    assert found(response) == ["alicia"]


def test_search_never_shows_deactivated_users(
    alice: User, make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    make_user("bobby")
    make_user("bobcat", is_active=False)
    client = client_for(alice)

    response = search(client, "bob")

    assert found(response) == ["bobby"]


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_search_finds_nobody(
    alice: User,
    bob: User,
    carol: User,
    client_for: Callable[[User], Client],
    query: str,
) -> None:
    client = client_for(alice)

    response = search(client, query)

    assert response.status_code == 200
    assert found(response) == []
    assert 'id="search-result-' not in response.content.decode()


def test_search_shows_twenty_results_a_page(
    alice: User, make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    for number in range(25):
        make_user(f"pal{number:02}")
    client = client_for(alice)

    first = search(client, "pal")
    second = search(client, "pal", page=2)

    assert found(first) == [f"pal{number:02}" for number in range(20)]
    assert found(second) == [f"pal{number:02}" for number in range(20, 25)]
    assert "Page 1 of 2" in first.content.decode()
    assert "Page 2 of 2" in second.content.decode()


def test_search_shows_each_users_relation_to_the_searcher(
    alice: User, make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    friend = make_user("pal-friend")
    asked = make_user("pal-asked")
    asking = make_user("pal-asking")
    stranger = make_user("pal-stranger")
    befriend(alice, friend)
    do_send_friend_request(alice, asked, "")
    do_send_friend_request(asking, alice, "")
    client = client_for(alice)

    response = search(client, "pal")

    relations = {r.user.username: r.relation for r in response.context["results"]}
    assert relations == {
        "pal-friend": Relation.FRIEND,
        "pal-asked": Relation.REQUEST_SENT,
        "pal-asking": Relation.REQUEST_RECEIVED,
        "pal-stranger": Relation.NONE,
    }
    assert "Friend" in search_row(response, friend)
    assert "Request sent" in search_row(response, asked)
    assert accept_url(asking.pk) in search_row(response, asking)
    assert "Add friend" in search_row(response, stranger)


def test_search_takes_underscore_and_percent_literally(
    alice: User, make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    make_user("pal_one")
    make_user("palXone")
    client = client_for(alice)

    underscore = search(client, "l_o")
    percent = search(client, "%")

    assert found(underscore) == ["pal_one"]
    assert found(percent) == []


def test_htmx_search_answers_with_the_results_alone(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)

    response = client.get(FRIENDS_URL, {"q": "bo"}, headers={"HX-Request": "true"})

    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<div id="search-results"')
    assert f'id="search-result-{bob.pk}"' in content
    assert "<html" not in content


def test_search_text_is_escaped(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)

    response = search(client, "<b>x</b>")

    content = response.content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in content
    assert "<b>x</b>" not in content


# Sending a request (S2)


def test_friend_request_is_opened_with_its_note(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)

    response = ask(client, bob.pk, note="We met at the climbing gym.")

    assert response.status_code == 302
    assert response.url == FRIENDS_URL
    assert flashed(response) == ["Friend request sent to bob."]
    friend_request = FriendRequest.objects.get()
    assert (friend_request.sender, friend_request.receiver) == (alice, bob)
    assert friend_request.note == "We met at the climbing gym."
    assert friendship_pairs() == set()


def test_friend_request_without_a_note_is_opened(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)

    ask(client, bob.pk)

    assert FriendRequest.objects.get(sender=alice, receiver=bob).note == ""


def test_note_of_500_characters_is_accepted(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)

    ask(client, bob.pk, note="n" * 500)

    assert FriendRequest.objects.get(sender=alice, receiver=bob).note == "n" * 500


def test_note_over_500_characters_is_refused_with_a_clear_message(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)

    response = ask(client, bob.pk, note="n" * 501)

    assert response.status_code == 302
    assert flashed(response) == ["Keep the note to 500 characters or fewer."]
    assert not FriendRequest.objects.exists()


def test_second_request_replaces_the_first(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)
    ask(client, bob.pk, note="first")

    ask(client, bob.pk, note="second")

    assert list(FriendRequest.objects.values_list("sender", "receiver", "note")) == [
        (alice.pk, bob.pk, "second")
    ]


def test_request_to_yourself_is_refused(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)

    response = ask(client, alice.pk, note="me, myself")

    assert response.status_code == 302
    assert flashed(response) == ["You cannot send a friend request to yourself."]
    assert not FriendRequest.objects.exists()


def test_request_to_a_friend_is_refused(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    befriend(alice, bob)
    before = social_state()
    client = client_for(alice)

    response = ask(client, bob.pk, note="again?")

    assert response.status_code == 302
    assert flashed(response) == ["You and bob are already friends."]
    assert social_state() == before


def test_request_to_a_deactivated_user_is_404(
    alice: User, make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    gone = make_user("gone", is_active=False)
    client = client_for(alice)

    response = ask(client, gone.pk)

    assert response.status_code == 404
    assert not FriendRequest.objects.exists()


def test_request_to_a_nonexistent_user_is_404(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)

    response = ask(client, alice.pk + 1000)

    assert response.status_code == 404
    assert not FriendRequest.objects.exists()


def test_crossed_requests_make_friends_at_once(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    do_send_friend_request(bob, alice, "hi alice")
    client = client_for(alice)

    response = ask(client, bob.pk, note="hi bob")

    assert flashed(response) == ["You and bob are now friends."]
    assert friendship_pairs() == {(alice.pk, bob.pk), (bob.pk, alice.pk)}
    assert not FriendRequest.objects.exists()
    chat = private_chat_of(alice, bob)
    assert chat is not None
    assert chat.kind == Chat.Kind.PRIVATE
    assert list(chat.messages.values_list("kind", "body")) == [
        (Message.Kind.SYSTEM, "bob and alice are now friends")
    ]


def test_htmx_request_answers_with_the_users_new_search_row(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)

    response = client.post(
        SEND_URL, {"receiver": bob.pk, "note": ""}, headers={"HX-Request": "true"}
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith(f'<li id="search-result-{bob.pk}"')
    assert "Request sent" in content
    assert "Friend request sent to bob." in content


def test_htmx_request_with_a_too_long_note_keeps_the_row_and_shows_why(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)

    response = client.post(
        SEND_URL,
        {"receiver": bob.pk, "note": "n" * 501, "q": "bo"},
        headers={"HX-Request": "true"},
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Reswap"] == "none"
    assert "Keep the note to 500 characters or fewer." in content
    assert 'id="search-results"' not in content
    assert not FriendRequest.objects.exists()


# Answering a request (S3)


def test_accept_makes_friends_both_ways_in_default_groups_with_a_private_chat(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    do_send_friend_request(alice, bob, "hello")
    client = client_for(bob)

    response = client.post(accept_url(alice.pk))

    assert response.status_code == 302
    assert flashed(response) == ["You and alice are now friends."]
    assert not FriendRequest.objects.exists()
    alice_side = Friendship.objects.get(user=alice, friend=bob)
    bob_side = Friendship.objects.get(user=bob, friend=alice)
    assert alice_side.group == FriendGroup.objects.get(owner=alice, name=None)
    assert bob_side.group == FriendGroup.objects.get(owner=bob, name=None)
    chat = private_chat_of(alice, bob)
    assert chat is not None
    assert set(chat.memberships.values_list("user_id", "role")) == {
        (alice.pk, Membership.Role.MEMBER),
        (bob.pk, Membership.Role.MEMBER),
    }
    assert list(chat.messages.values_list("kind", "sender", "body")) == [
        (Message.Kind.SYSTEM, None, "alice and bob are now friends")
    ]


def test_new_friend_and_chat_show_on_both_sides(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    do_send_friend_request(alice, bob, "")
    bob_client = client_for(bob)
    alice_client = client_for(alice)

    bob_client.post(accept_url(alice.pk))

    assert f'id="friend-{alice.pk}"' in bob_client.get(FRIENDS_URL).content.decode()
    assert f'id="friend-{bob.pk}"' in alice_client.get(FRIENDS_URL).content.decode()
    chat_page = alice_client.get(reverse("chat:index")).content.decode()
    assert "alice and bob are now friends" in chat_page


def test_decline_removes_the_request_and_makes_no_friends(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    do_send_friend_request(alice, bob, "")
    client = client_for(bob)

    response = client.post(decline_url(alice.pk))

    assert response.status_code == 302
    assert not FriendRequest.objects.exists()
    assert friendship_pairs() == set()
    assert private_chat_of(alice, bob) is None


def test_sender_can_cancel_their_request(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    outcome = do_send_friend_request(alice, bob, "")
    assert outcome.friend_request is not None
    client = client_for(alice)

    response = client.post(cancel_url(outcome.friend_request.pk))

    assert response.status_code == 302
    assert flashed(response) == ["Friend request withdrawn."]
    assert not FriendRequest.objects.exists()
    assert friendship_pairs() == set()


def test_request_of_a_deactivated_sender_is_hidden_from_the_receiver(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    friend_request = do_send_friend_request(alice, bob, "").friend_request
    assert friend_request is not None
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    client = client_for(bob)

    response = client.get(FRIENDS_URL)

    assert f'id="friend-request-{friend_request.pk}"' not in response.content.decode()
    assert response.context["incoming_count"].count == 0
    assert client.post(decline_url(alice.pk)).status_code == 404


def test_request_to_a_deactivated_receiver_is_hidden_from_the_sender(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    friend_request = do_send_friend_request(alice, bob, "").friend_request
    assert friend_request is not None
    bob.is_active = False
    bob.save(update_fields=["is_active"])
    client = client_for(alice)

    response = client.get(FRIENDS_URL)

    assert f'id="friend-request-{friend_request.pk}"' not in response.content.decode()


def test_receiver_cannot_cancel_the_senders_request(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    outcome = do_send_friend_request(alice, bob, "")
    assert outcome.friend_request is not None
    before = social_state()
    client = client_for(bob)

    response = client.post(cancel_url(outcome.friend_request.pk))

    assert response.status_code == 404
    assert social_state() == before


@pytest.mark.parametrize(
    ("url_for", "status"),
    [
        pytest.param(lambda r: accept_url(r.sender_id), 302, id="accept-by-sender"),
        pytest.param(lambda r: accept_url(r.receiver_id), 302, id="accept-by-receiver"),
        pytest.param(lambda r: decline_url(r.sender_id), 302, id="decline-by-sender"),
        pytest.param(
            lambda r: decline_url(r.receiver_id), 302, id="decline-by-receiver"
        ),
        pytest.param(lambda r: cancel_url(r.pk), 404, id="cancel-by-request"),
    ],
)
def test_stranger_cannot_answer_or_cancel_someone_elses_request(
    alice: User,
    bob: User,
    carol: User,
    client_for: Callable[[User], Client],
    url_for: Callable[[FriendRequest], str],
    status: int,
) -> None:
    outcome = do_send_friend_request(alice, bob, "just us")
    assert outcome.friend_request is not None
    before = social_state()
    client = client_for(carol)

    response = client.post(url_for(outcome.friend_request))

    assert response.status_code == status
    assert social_state() == before
    assert "now friends" not in " ".join(flashed(response))


def test_stranger_accepting_is_told_there_is_no_such_request(
    alice: User, bob: User, carol: User, client_for: Callable[[User], Client]
) -> None:
    do_send_friend_request(alice, bob, "")
    client = client_for(carol)

    response = client.post(accept_url(alice.pk))

    assert flashed(response) == ["That friend request is no longer open."]


def test_accepting_twice_is_harmless(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    do_send_friend_request(alice, bob, "")
    client = client_for(bob)
    client.post(accept_url(alice.pk))

    again = client.post(accept_url(alice.pk), follow=True)

    assert again.status_code == 200
    assert again.redirect_chain == [(FRIENDS_URL, 302)]
    assert friendship_pairs() == {(alice.pk, bob.pk), (bob.pk, alice.pk)}
    assert Chat.objects.count() == 1
    assert Message.objects.count() == 1


def test_accepting_a_request_that_was_cancelled_is_refused_with_a_message(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    outcome = do_send_friend_request(alice, bob, "")
    assert outcome.friend_request is not None
    do_cancel_friend_request(outcome.friend_request)
    client = client_for(bob)

    response = client.post(accept_url(alice.pk))

    assert response.status_code == 302
    assert flashed(response) == ["That friend request is no longer open."]
    assert friendship_pairs() == set()
    assert not Chat.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_tabs_accepting_at_once_make_one_friendship_and_one_chat(
    alice: User, bob: User
) -> None:
    do_send_friend_request(alice, bob, "")
    tabs = [Client(), Client()]
    for tab in tabs:
        tab.force_login(bob)

    responses, errors = run_at_once(
        *(partial(tab.post, accept_url(alice.pk)) for tab in tabs)
    )

    assert errors == []
    assert [response.status_code for response in responses] == [302, 302]
    assert friendship_pairs() == {(alice.pk, bob.pk), (bob.pk, alice.pk)}
    assert Chat.objects.count() == 1
    assert Membership.objects.count() == 2
    assert Message.objects.count() == 1
    assert not FriendRequest.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_requests_crossing_at_the_same_moment_make_one_friendship(
    alice: User, bob: User
) -> None:
    outcomes, errors = run_at_once(
        partial(do_send_friend_request, alice, bob, ""),
        partial(do_send_friend_request, bob, alice, ""),
    )

    assert errors == []
    assert sorted(outcome.became_friends for outcome in outcomes) == [False, True]
    assert friendship_pairs() == {(alice.pk, bob.pk), (bob.pk, alice.pk)}
    assert Chat.objects.count() == 1
    assert not FriendRequest.objects.exists()


# Actions refuse without changing anything


def test_refused_actions_raise_a_clear_error_and_change_nothing(
    alice: User, bob: User, carol: User
) -> None:
    befriend(alice, bob)
    before = social_state()

    with pytest.raises(SocialError, match="yourself"):
        do_send_friend_request(alice, alice, "")
    with pytest.raises(SocialError, match="already friends"):
        do_send_friend_request(bob, alice, "")
    with pytest.raises(SocialError, match="no longer open"):
        do_accept_friend_request(carol, alice)
    do_decline_friend_request(carol, alice)

    assert social_state() == before


# Methods and sign-in


@pytest.mark.parametrize(
    "url",
    [
        SEND_URL,
        reverse("social:accept_request", args=[1]),
        reverse("social:decline_request", args=[1]),
        reverse("social:cancel_request", args=[1]),
    ],
)
def test_changing_endpoints_refuse_get(
    alice: User, client_for: Callable[[User], Client], url: str
) -> None:
    client = client_for(alice)

    response = client.get(url)

    assert response.status_code == 405


def test_friends_page_refuses_post(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)

    response = client.post(FRIENDS_URL)

    assert response.status_code == 405


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", FRIENDS_URL),
        ("post", SEND_URL),
        ("post", reverse("social:accept_request", args=[1])),
        ("post", reverse("social:decline_request", args=[1])),
        ("post", reverse("social:cancel_request", args=[1])),
    ],
)
def test_anonymous_visitor_is_sent_to_log_in(db: None, method: str, url: str) -> None:
    client = Client()

    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login") + "?next=")


# Live events
#
# The ``inbox`` fixture (conftest) joins a user's live group, as a browser
# tab's socket does, and collects what the actions push. Inside a test the
# transaction never commits, so pushes are seen only through
# django_capture_on_commit_callbacks(execute=True).


def test_request_is_pushed_to_the_receiver_escaped_and_once(
    alice: User,
    bob: User,
    inbox: Callable[[User], Inbox],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    bob_tab = inbox(bob)
    alice_tab = inbox(alice)

    with django_capture_on_commit_callbacks(execute=True):
        outcome = do_send_friend_request(
            alice, bob, "<script>alert(1)</script> & <b>hi</b>"
        )

    assert outcome.friend_request is not None
    [pushed] = bob_tab.events()
    assert f'id="friend-request-{outcome.friend_request.pk}"' in pushed
    assert "alice" in pushed
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;hi&lt;/b&gt;" in pushed
    assert "<script>" not in pushed
    assert "<b>hi" not in pushed
    [sent] = alice_tab.events()
    assert f'id="friend-request-{outcome.friend_request.pk}"' in sent
    assert "bob" in sent
    assert "<script>" not in sent


def test_request_sent_from_the_page_is_pushed_to_every_tab_of_the_receiver(
    alice: User,
    bob: User,
    inbox: Callable[[User], Inbox],
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    tabs = [inbox(bob), inbox(bob)]
    client = client_for(alice)

    with django_capture_on_commit_callbacks(execute=True):
        ask(client, bob.pk, note="hello")

    request_id = FriendRequest.objects.get().pk
    for tab in tabs:
        [pushed] = tab.events()
        assert f'id="friend-request-{request_id}"' in pushed


def test_request_is_pushed_only_after_commit(
    alice: User,
    bob: User,
    inbox: Callable[[User], Inbox],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    tab_read_before_commit = inbox(bob)
    tab_read_after_commit = inbox(bob)

    with django_capture_on_commit_callbacks(execute=True):
        do_send_friend_request(alice, bob, "")
        before_commit = tab_read_before_commit.events()

    assert before_commit == []
    assert len(tab_read_after_commit.events()) == 1


def test_rolled_back_request_is_never_pushed(
    alice: User,
    bob: User,
    inbox: Callable[[User], Inbox],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    bob_tab = inbox(bob)
    alice_tab = inbox(alice)

    def send_then_fail() -> None:
        with transaction.atomic():
            do_send_friend_request(alice, bob, "")
            raise RuntimeError("the request fails after the write")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        send_then_fail()

    assert callbacks == []
    assert not FriendRequest.objects.exists()
    assert bob_tab.events() == []
    assert alice_tab.events() == []


def test_replacing_a_request_tells_both_tabs_to_drop_the_old_row(
    alice: User,
    bob: User,
    inbox: Callable[[User], Inbox],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    first = do_send_friend_request(alice, bob, "first").friend_request
    assert first is not None
    bob_tab = inbox(bob)
    alice_tab = inbox(alice)

    with django_capture_on_commit_callbacks(execute=True):
        second = do_send_friend_request(alice, bob, "second").friend_request

    assert second is not None
    for tab in (bob_tab, alice_tab):
        [pushed] = tab.events()
        assert f"delete:#friend-request-{first.pk}" in pushed
        assert f'id="friend-request-{second.pk}"' in pushed
        assert "second" in pushed


def test_accept_pushes_the_friend_row_and_the_chat_to_both_users(
    alice: User,
    bob: User,
    inbox: Callable[[User], Inbox],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    outcome = do_send_friend_request(alice, bob, "")
    assert outcome.friend_request is not None
    alice_tab = inbox(alice)
    bob_tab = inbox(bob)

    with django_capture_on_commit_callbacks(execute=True):
        do_accept_friend_request(bob, alice)

    chat = private_chat_of(alice, bob)
    assert chat is not None
    alice_events = alice_tab.events()
    bob_events = bob_tab.events()
    assert len(alice_events) == len(bob_events) == 2
    for events, friend in ((alice_events, bob), (bob_events, alice)):
        pushed = "".join(events)
        assert f'id="friend-{friend.pk}"' in pushed
        assert friend.username in pushed
        assert f"delete:#friend-request-{outcome.friend_request.pk}" in pushed
        assert f"/chats/{chat.pk}/" in pushed


def test_crossed_request_pushes_the_new_friendship_to_both_users(
    alice: User,
    bob: User,
    inbox: Callable[[User], Inbox],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    do_send_friend_request(bob, alice, "")
    alice_tab = inbox(alice)
    bob_tab = inbox(bob)

    with django_capture_on_commit_callbacks(execute=True):
        do_send_friend_request(alice, bob, "")

    alice_events = alice_tab.events()
    bob_events = bob_tab.events()
    assert len(alice_events) == len(bob_events) == 2
    assert f'id="friend-{bob.pk}"' in "".join(alice_events)
    assert f'id="friend-{alice.pk}"' in "".join(bob_events)


def test_second_accept_pushes_nothing(
    alice: User,
    bob: User,
    inbox: Callable[[User], Inbox],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    do_send_friend_request(alice, bob, "")
    do_accept_friend_request(bob, alice)
    alice_tab = inbox(alice)
    bob_tab = inbox(bob)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        do_accept_friend_request(bob, alice)

    assert callbacks == []
    assert alice_tab.events() == []
    assert bob_tab.events() == []


@pytest.mark.parametrize("answer", ["decline", "cancel"])
def test_closing_a_request_removes_its_row_in_both_users_tabs(
    alice: User,
    bob: User,
    inbox: Callable[[User], Inbox],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    answer: str,
) -> None:
    friend_request = do_send_friend_request(alice, bob, "").friend_request
    assert friend_request is not None
    alice_tab = inbox(alice)
    bob_tab = inbox(bob)

    with django_capture_on_commit_callbacks(execute=True):
        if answer == "decline":
            do_decline_friend_request(bob, alice)
        else:
            do_cancel_friend_request(friend_request)

    for tab in (alice_tab, bob_tab):
        [pushed] = tab.events()
        assert f"delete:#friend-request-{friend_request.pk}" in pushed


def test_refused_request_pushes_nothing(
    alice: User,
    bob: User,
    inbox: Callable[[User], Inbox],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    befriend(alice, bob)
    alice_tab = inbox(alice)
    bob_tab = inbox(bob)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(SocialError),
    ):
        do_send_friend_request(alice, bob, "")

    assert callbacks == []
    assert alice_tab.events() == []
    assert bob_tab.events() == []


def test_stranger_declining_pushes_nothing(
    alice: User,
    bob: User,
    carol: User,
    inbox: Callable[[User], Inbox],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    do_send_friend_request(alice, bob, "")
    tabs = [inbox(alice), inbox(bob), inbox(carol)]

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        do_decline_friend_request(carol, alice)

    assert callbacks == []
    assert [tab.events() for tab in tabs] == [[], [], []]


# Query counts


def fill_friends_page(viewer: User, make_user: Callable[..., User], count: int) -> None:
    """Give ``viewer`` ``count`` friends, ``count`` incoming and ``count``
    outgoing requests, all with names that match "pal"."""
    for number in range(count):
        befriend(viewer, make_user(f"pal-friend-{number:02}"))
        do_send_friend_request(make_user(f"pal-asking-{number:02}"), viewer, "hi")
        do_send_friend_request(viewer, make_user(f"pal-asked-{number:02}"), "hi")


# Session, user, the page's unread total and request badge, the search
# count and page, the relations of the results (blocks, friends,
# requests), then incoming requests, outgoing requests, blocked users,
# and the friend list (its version, groups, friends with presence).
FRIENDS_PAGE_QUERIES = 15


@pytest.mark.parametrize("count", [3, 30])
def test_friends_page_query_count_does_not_grow_with_results(
    alice: User,
    make_user: Callable[..., User],
    client_for: Callable[[User], Client],
    django_assert_num_queries: DjangoAssertNumQueries,
    count: int,
) -> None:
    fill_friends_page(alice, make_user, count)
    client = client_for(alice)

    with django_assert_num_queries(FRIENDS_PAGE_QUERIES):
        response = client.get(FRIENDS_URL, {"q": "pal"})

    content = response.content.decode()
    assert response.status_code == 200
    assert len(re.findall(r'id="search-result-\d+"', content)) == min(3 * count, 20)
    assert len(re.findall(r'id="friend-\d+"', content)) == count
    assert len(re.findall(r'id="friend-request-\d+"', content)) == 2 * count


@pytest.mark.parametrize("count", [3, 30])
def test_htmx_search_query_count_does_not_grow_with_results(
    alice: User,
    make_user: Callable[..., User],
    client_for: Callable[[User], Client],
    django_assert_num_queries: DjangoAssertNumQueries,
    count: int,
) -> None:
    fill_friends_page(alice, make_user, count)
    client = client_for(alice)

    # Session, user, search count and page, the results' relations.
    with django_assert_num_queries(7):
        response = client.get(FRIENDS_URL, {"q": "pal"}, headers={"HX-Request": "true"})

    content = response.content.decode()
    assert response.status_code == 200
    assert len(re.findall(r'id="search-result-\d+"', content)) == min(3 * count, 20)


def test_search_for_a_nul_character_finds_nobody_without_error(
    alice: User, client_for
) -> None:
    response = client_for(alice).get(reverse("social:friends"), {"q": "\x00"})

    assert response.status_code == 200


def test_back_button_gets_the_whole_friends_page_not_the_results_alone(
    alice: User, bob: User, client_for
) -> None:
    response = client_for(alice).get(
        reverse("social:friends"),
        {"q": "bo"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )

    assert 'id="friend-list"' in response.text
    assert "HX-Request" in response["Vary"]
