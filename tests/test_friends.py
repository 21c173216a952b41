"""Friend groups, remarks, deleting friends and blocking (PRODUCT.md S4-S7),
and the rules of S1-S2 that blocks add."""

import re
import uuid
from collections.abc import Callable

import pytest
from django.db import transaction
from django.http import Http404
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries, DjangoCaptureOnCommitCallbacks

from accounts.models import User
from chat.actions import do_send_message
from chat.models import Chat, Membership, Message
from social.actions import (
    SocialError,
    do_accept_friend_request,
    do_block_user,
    do_create_friend_group,
    do_delete_friend,
    do_send_friend_request,
    do_set_remark,
    do_unblock_user,
)
from social.models import Block, FriendGroup, FriendRequest, Friendship
from social.queries import Relation, blocked_either_way
from tests.conftest import Inbox, befriend, membership
from tests.test_social import ask, flashed, search, search_row

FRIENDS_URL = reverse("social:friends")


def group_url(name: str, group_id: int) -> str:
    return reverse(f"social:{name}_group", args=[group_id])


def friend_url(name: str, friend_id: int) -> str:
    return reverse(f"social:{name}", args=[friend_id])


def group_of(user: User, friend: User) -> str:
    return str(Friendship.objects.get(user=user, friend=friend).group)


def names_in_group(response_text: str, group_key: object) -> list[str]:
    """The friends one group of a rendered friend list shows, in order."""
    start = response_text.index(f'id="friend-group-{group_key}"')
    end = response_text.index('class="empty-note small"', start)
    return re.findall(
        r'class="fw-semibold name-of-\d+" dir="auto">([^<]+)<', response_text[start:end]
    )


# Search and requests with blocks (S1, S2, S7)


def test_search_never_shows_someone_who_blocked_the_searcher(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    do_block_user(bob, alice)

    response = search(client_for(alice), "bo")

    assert [r.user.username for r in response.context["results"]] == []


def test_search_shows_someone_the_searcher_blocked_as_blocked_with_unblock(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    do_block_user(alice, bob)

    response = search(client_for(alice), "bo")

    [result] = response.context["results"]
    assert result.relation == Relation.BLOCKED
    row = search_row(response, bob)
    assert "Blocked" in row
    assert reverse("social:unblock_user", args=[bob.pk]) in row
    assert "Add friend" not in row


def test_request_to_someone_who_blocked_you_is_refused_without_naming_the_block(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    do_block_user(bob, alice)

    response = ask(client_for(alice), bob.pk, "hello")

    assert flashed(response) == ["bob cannot receive your friend request."]
    assert not FriendRequest.objects.exists()


def test_request_to_someone_you_blocked_is_refused_with_a_clear_message(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    do_block_user(alice, bob)

    response = ask(client_for(alice), bob.pk)

    assert flashed(response) == ["You blocked bob. Unblock them to send a request."]
    assert not FriendRequest.objects.exists()


def test_request_records_the_group_chat_it_was_sent_from(
    alice: User, bob: User
) -> None:
    outcome = do_send_friend_request(alice, bob, "we met in the book club", 42)

    assert outcome.friend_request is not None
    assert FriendRequest.objects.get().via_chat_id == 42


# Friend groups (S4)


def test_new_group_is_listed_with_its_name(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(alice).post(
        reverse("social:create_group"), {"name": "  Work  "}, follow=True
    )

    group = FriendGroup.objects.get(owner=alice, name="Work")
    assert f'id="friend-group-{group.pk}"' in response.text
    assert "Group “Work” created." in response.text


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "Give the group a name."),
        ("   ", "Give the group a name."),
        ("x" * 101, "Keep the group name to 100 characters or fewer."),
        ("work", "You already have a group named “work”."),
        ("Friends", "You already have a group named “Friends”."),
    ],
)
def test_bad_group_name_is_refused_with_a_clear_message(
    alice: User, client_for: Callable[[User], Client], name: str, error: str
) -> None:
    do_create_friend_group(alice, "Work")

    response = client_for(alice).post(reverse("social:create_group"), {"name": name})

    assert flashed(response) == [error]
    assert list(FriendGroup.objects.values_list("name", flat=True)) == ["Work"]


def test_group_name_of_100_characters_is_accepted(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    client_for(alice).post(reverse("social:create_group"), {"name": "x" * 100})

    assert FriendGroup.objects.filter(owner=alice, name="x" * 100).exists()


def test_two_users_may_use_the_same_group_name(alice: User, bob: User) -> None:
    do_create_friend_group(alice, "Work")

    do_create_friend_group(bob, "Work")

    assert FriendGroup.objects.filter(name="Work").count() == 2


def test_group_is_renamed(alice: User, client_for: Callable[[User], Client]) -> None:
    group = do_create_friend_group(alice, "Work")

    client_for(alice).post(group_url("rename", group.pk), {"name": "Office"})

    group.refresh_from_db()
    assert group.name == "Office"


def test_renaming_a_group_to_its_own_name_in_another_case_is_allowed(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    group = do_create_friend_group(alice, "work")

    response = client_for(alice).post(group_url("rename", group.pk), {"name": "Work"})

    group.refresh_from_db()
    assert group.name == "Work"
    assert flashed(response) == []


def test_deleting_a_group_moves_its_friends_to_the_default_group(
    alice: User, bob: User, carol: User, client_for: Callable[[User], Client]
) -> None:
    befriend(alice, bob)
    befriend(alice, carol)
    group = do_create_friend_group(alice, "Work")
    client = client_for(alice)
    client.post(friend_url("move_friend", bob.pk), {"group": group.pk})

    client.post(group_url("delete", group.pk))

    assert not FriendGroup.objects.filter(pk=group.pk).exists()
    assert group_of(alice, bob) == group_of(alice, carol) == "Friends"


def test_default_group_cannot_be_renamed_or_deleted(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    befriend(alice, bob)
    default = FriendGroup.objects.get(owner=alice, name__isnull=True)

    renamed = client_for(alice).post(group_url("rename", default.pk), {"name": "P"})
    deleted = client_for(alice).post(group_url("delete", default.pk))

    assert flashed(renamed) == ["The default group cannot be renamed."]
    assert flashed(deleted) == ["The default group cannot be deleted."]
    default.refresh_from_db()
    assert default.name is None
    assert group_of(alice, bob) == "Friends"


def test_friend_moves_between_groups_and_back_to_the_default(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    befriend(alice, bob)
    group = do_create_friend_group(alice, "Climbing")
    client = client_for(alice)

    client.post(friend_url("move_friend", bob.pk), {"group": group.pk})
    moved = group_of(alice, bob)
    client.post(friend_url("move_friend", bob.pk), {"group": ""})

    assert moved == "Climbing"
    assert group_of(alice, bob) == "Friends"
    assert group_of(bob, alice) == "Friends"  # Each side keeps its own groups.


def test_stranger_cannot_rename_delete_or_fill_someone_elses_group(
    alice: User, bob: User, carol: User, client_for: Callable[[User], Client]
) -> None:
    befriend(carol, bob)
    group = do_create_friend_group(alice, "Work")
    client = client_for(carol)

    responses = [
        client.post(group_url("rename", group.pk), {"name": "Mine"}),
        client.post(group_url("delete", group.pk)),
        client.post(friend_url("move_friend", bob.pk), {"group": group.pk}),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    group.refresh_from_db()
    assert group.name == "Work"
    assert group_of(carol, bob) == "Friends"


def test_non_friend_cannot_be_moved_remarked_or_deleted(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)

    responses = [
        client.post(friend_url("move_friend", bob.pk), {"group": ""}),
        client.post(friend_url("set_remark", bob.pk), {"remark": "B"}),
        client.post(friend_url("delete_friend", bob.pk)),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]


def test_group_changes_refuse_get(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    group = do_create_friend_group(alice, "Work")
    client = client_for(alice)

    urls = [
        reverse("social:create_group"),
        group_url("rename", group.pk),
        group_url("delete", group.pk),
        friend_url("move_friend", 1),
        friend_url("set_remark", 1),
        friend_url("delete_friend", 1),
        reverse("social:block_user", args=[1]),
        reverse("social:unblock_user", args=[1]),
    ]

    assert {client.get(url).status_code for url in urls} == {405}


def test_htmx_group_change_answers_with_the_whole_new_friend_list(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    befriend(alice, bob)
    group = do_create_friend_group(alice, "Work")

    response = client_for(alice).post(
        friend_url("move_friend", bob.pk),
        {"group": group.pk},
        headers={"HX-Request": "true"},
    )

    assert response.text.lstrip().startswith('<div id="friend-list"')
    assert names_in_group(response.text, group.pk) == ["bob"]
    assert names_in_group(response.text, "default") == []


# The friend list (S5)


def test_friend_list_is_grouped_with_counts_default_first(
    alice: User,
    make_user: Callable[..., User],
    client_for: Callable[[User], Client],
) -> None:
    zed, amy, kim = (make_user(name) for name in ("zed", "amy", "kim"))
    for friend in (zed, amy, kim):
        befriend(alice, friend)
    work = do_create_friend_group(alice, "Work")
    do_create_friend_group(alice, "Art")
    client = client_for(alice)
    client.post(friend_url("move_friend", zed.pk), {"group": work.pk})

    page = client.get(FRIENDS_URL).text

    order = re.findall(r'class="friend-group-name" dir="auto">([^<]+)<', page)
    counts = re.findall(r"friend-group-name.*?\n.*?badge[^>]*>(\d+)<", page)
    assert order == ["Friends", "Art", "Work"]
    assert counts == ["2", "0", "1"]
    assert names_in_group(page, "default") == ["amy", "kim"]
    assert names_in_group(page, work.pk) == ["zed"]
    # Groups fold with or without scripts.
    assert page.count('class="friend-group mb-2" open') == 3


def test_remark_replaces_the_username_everywhere_the_user_sees_the_friend(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    chat = befriend(alice, bob)
    client_for(bob).post(
        reverse("chat:send", args=[chat.pk]),
        {"body": "hi", "client_token": "0b7e7bd9-8a8e-4a4c-9a64-6d0d8e1c7c2a"},
    )
    client = client_for(alice)

    client.post(friend_url("set_remark", bob.pk), {"remark": "Bobby <3"})

    friends_page = client.get(FRIENDS_URL).text
    chat_page = client.get(reverse("chat:detail", args=[chat.pk])).text
    name = f'name-of-{bob.pk}" dir="auto">Bobby &lt;3<'
    assert name in friends_page
    assert chat_page.count(name) == 3  # Chat list, header, message sender.
    assert "<title>Bobby &lt;3 · Nova</title>" in chat_page
    # Bob's own view of Alice is untouched.
    assert (
        f'name-of-{alice.pk}" dir="auto">alice<'
        in client_for(bob).get(reverse("chat:detail", args=[chat.pk])).text
    )


def test_cleared_remark_shows_the_username_again(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    befriend(alice, bob)
    client = client_for(alice)
    client.post(friend_url("set_remark", bob.pk), {"remark": "Bobby"})

    client.post(friend_url("set_remark", bob.pk), {"remark": "   "})

    assert Friendship.objects.get(user=alice, friend=bob).remark == ""
    page = client.get(reverse("chat:index")).text
    assert f'name-of-{bob.pk}" dir="auto">bob<' in page


def test_too_long_remark_is_refused_and_the_old_one_kept(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    befriend(alice, bob)
    client = client_for(alice)
    client.post(friend_url("set_remark", bob.pk), {"remark": "Bobby"})

    response = client.post(friend_url("set_remark", bob.pk), {"remark": "b" * 65})

    assert flashed(response) == ["Keep the remark to 64 characters or fewer."]
    assert Friendship.objects.get(user=alice, friend=bob).remark == "Bobby"


def test_remark_change_renames_the_friend_in_the_users_open_tabs_only(
    alice: User,
    bob: User,
    inbox: Callable[[User], Inbox],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    befriend(alice, bob)
    alice_tab, bob_tab = inbox(alice), inbox(bob)
    friendship = Friendship.objects.select_related("friend").get(user=alice, friend=bob)

    with django_capture_on_commit_callbacks(execute=True):
        do_set_remark(friendship, "<b>Bobby</b>")

    [pushed] = alice_tab.events()
    assert f'hx-swap-oob="innerHTML:.name-of-{bob.pk}">&lt;b&gt;Bobby&lt;/b&gt;<' in (
        pushed
    )
    assert 'id="friend-list"' in pushed
    assert bob_tab.events() == []


def fill_friend_list(viewer: User, make_user: Callable[..., User], count: int) -> None:
    """Give ``viewer`` ``count`` friends spread over three named groups
    and the default one, some with remarks."""
    groups = [do_create_friend_group(viewer, f"Group {n}") for n in range(3)]
    for number in range(count):
        friend = make_user(f"pal-{number:02}")
        befriend(viewer, friend)
        friendship = Friendship.objects.select_related("friend").get(
            user=viewer, friend=friend
        )
        if number % 4:
            Friendship.objects.filter(pk=friendship.pk).update(
                group=groups[number % 4 - 1]
            )
        if number % 3 == 0:
            do_set_remark(friendship, f"Remarked {number}")


# Session, user, the page's unread total and request badge, incoming and
# outgoing requests, blocked users, then the friend list: its version,
# its groups, and the friends with their presence.
FRIEND_LIST_PAGE_QUERIES = 10


@pytest.mark.parametrize("count", [3, 60])
def test_friend_list_query_count_does_not_grow_with_friends_or_groups(
    alice: User,
    make_user: Callable[..., User],
    client_for: Callable[[User], Client],
    django_assert_num_queries: DjangoAssertNumQueries,
    count: int,
) -> None:
    fill_friend_list(alice, make_user, count)
    client = client_for(alice)

    with django_assert_num_queries(FRIEND_LIST_PAGE_QUERIES):
        response = client.get(FRIENDS_URL)

    assert len(re.findall(r'id="friend-\d+"', response.text)) == count
    assert len(re.findall(r'id="friend-group-', response.text)) == 4
    assert response.text.count("presence-dot presence-of-") == count


@pytest.mark.parametrize("count", [3, 60])
def test_htmx_friend_list_answer_query_count_does_not_grow(
    alice: User,
    make_user: Callable[..., User],
    client_for: Callable[[User], Client],
    django_assert_num_queries: DjangoAssertNumQueries,
    count: int,
) -> None:
    fill_friend_list(alice, make_user, count)
    friend = User.objects.get(username="pal-00")
    client = client_for(alice)

    # Session, user, friendship; the remark's save point, update and
    # version bump; then the list's version, groups and friends.
    with django_assert_num_queries(10):
        response = client.post(
            friend_url("set_remark", friend.pk),
            {"remark": "Zed"},
            headers={"HX-Request": "true"},
        )

    assert len(re.findall(r'id="friend-\d+"', response.text)) == count


# Deleting a friend (S6)


def test_deleting_a_friend_ends_both_directions_and_deletes_the_chat(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    chat = befriend(alice, bob)
    client_for(bob).post(
        reverse("chat:send", args=[chat.pk]),
        {"body": "bye", "client_token": "4a0b5f5e-9f5e-4d55-8d43-9d3c56cb7b17"},
    )

    response = client_for(alice).post(friend_url("delete_friend", bob.pk))

    assert response.status_code == 302
    assert flashed(response) == ["bob is no longer your friend."]
    assert not Friendship.objects.exists()
    assert not Chat.objects.filter(pk=chat.pk).exists()
    assert not Message.objects.filter(chat_id=chat.pk).exists()
    assert not Membership.objects.filter(chat_id=chat.pk).exists()


def test_former_friend_cannot_open_or_post_into_the_ended_chat(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    chat = befriend(alice, bob)
    do_delete_friend(alice, bob)
    client = client_for(bob)

    opened = client.get(reverse("chat:detail", args=[chat.pk]))
    posted = client.post(
        reverse("chat:send", args=[chat.pk]),
        {"body": "wait", "client_token": "a5f3e1f2-3b1c-4c55-9d43-9d3c56cb7b17"},
    )

    assert (opened.status_code, posted.status_code) == (404, 404)
    assert not Message.objects.exists()


def test_deleting_twice_is_harmless_and_friends_may_befriend_again(
    alice: User, bob: User
) -> None:
    befriend(alice, bob)
    do_delete_friend(alice, bob)

    do_delete_friend(bob, alice)
    chat = befriend(bob, alice)

    assert Friendship.objects.count() == 2
    assert list(chat.messages.values_list("body", flat=True)) == [
        "bob and alice are now friends"
    ]


def test_deleting_a_friend_drops_the_chat_in_both_users_tabs(
    alice: User,
    bob: User,
    inbox: Callable[[User], Inbox],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    chat = befriend(alice, bob)
    alice_tab, bob_tab = inbox(alice), inbox(bob)

    with django_capture_on_commit_callbacks(execute=True):
        do_delete_friend(bob, alice)

    for tab, friend in ((alice_tab, bob), (bob_tab, alice)):
        chat_push, list_push = tab.events()
        assert f'hx-swap-oob="delete:#chat-row-{chat.pk}"' in chat_push
        assert f"#send-form[data-chat-id=&quot;{chat.pk}&quot;]" in chat_push or (
            f'#send-form[data-chat-id="{chat.pk}"]' in chat_push
        )
        assert "This chat has ended" in chat_push
        assert 'id="nav-unread"' in chat_push
        assert 'id="friend-list"' in list_push
        assert f'id="friend-{friend.pk}"' not in list_push


def test_deletion_rolled_back_tells_nobody_and_keeps_the_chat(
    alice: User,
    bob: User,
    inbox: Callable[[User], Inbox],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    chat = befriend(alice, bob)
    alice_tab = inbox(alice)

    def delete_then_fail() -> None:
        with transaction.atomic():
            do_delete_friend(alice, bob)
            raise RuntimeError

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        delete_then_fail()

    assert alice_tab.events() == []
    assert Chat.objects.filter(pk=chat.pk).exists()
    assert Friendship.objects.count() == 2


# Blocking (S7)


def test_blocking_a_friend_ends_the_friendship_and_the_chat(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    chat = befriend(alice, bob)

    response = client_for(alice).post(reverse("social:block_user", args=[bob.pk]))

    assert flashed(response) == ["You blocked bob."]
    assert Block.objects.filter(blocker=alice, blocked=bob).exists()
    assert not Friendship.objects.exists()
    assert not Chat.objects.filter(pk=chat.pk).exists()


def test_blocking_closes_open_requests_both_ways(
    alice: User, bob: User, carol: User
) -> None:
    do_send_friend_request(bob, alice, "")
    do_send_friend_request(carol, alice, "")

    do_block_user(alice, bob)

    assert list(FriendRequest.objects.values_list("sender", flat=True)) == [carol.pk]


def test_block_refuses_requests_both_ways_until_lifted(alice: User, bob: User) -> None:
    do_block_user(alice, bob)

    refusals = []
    for sender, receiver in ((alice, bob), (bob, alice)):
        with pytest.raises(SocialError) as refused:
            do_send_friend_request(sender, receiver, "")
        refusals.append(str(refused.value))
    do_unblock_user(alice, bob)
    outcome = do_send_friend_request(bob, alice, "again?")

    assert refusals == [
        "You blocked bob. Unblock them to send a request.",
        "alice cannot receive your friend request.",
    ]
    assert outcome.friend_request is not None


def test_blocked_either_way_sees_a_block_from_either_side(
    alice: User, bob: User, carol: User
) -> None:
    do_block_user(bob, alice)

    assert blocked_either_way(alice.pk, bob.pk)
    assert blocked_either_way(bob.pk, alice.pk)
    assert not blocked_either_way(alice.pk, carol.pk)


def test_blocking_yourself_is_refused(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(alice).post(reverse("social:block_user", args=[alice.pk]))

    assert flashed(response) == ["You cannot block yourself."]
    assert not Block.objects.exists()


def test_blocking_twice_and_unblocking_a_stranger_are_harmless(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)
    client.post(reverse("social:block_user", args=[bob.pk]))
    client.post(reverse("social:block_user", args=[bob.pk]))

    client_for(bob).post(reverse("social:unblock_user", args=[alice.pk]))

    assert list(Block.objects.values_list("blocker", "blocked")) == [(alice.pk, bob.pk)]


def test_only_the_blocker_can_lift_a_block(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    do_block_user(alice, bob)

    client_for(bob).post(reverse("social:unblock_user", args=[alice.pk]))

    assert Block.objects.filter(blocker=alice, blocked=bob).exists()


def test_blocked_user_is_listed_for_the_blocker_to_unblock(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    do_block_user(alice, bob)
    client = client_for(alice)

    listed = client.get(FRIENDS_URL).text
    client.post(reverse("social:unblock_user", args=[bob.pk]))

    assert f'id="blocked-{bob.pk}"' in listed
    assert not Block.objects.exists()
    assert f'id="blocked-{bob.pk}"' not in client.get(FRIENDS_URL).text


def test_block_pushes_never_tell_the_blocked_user_who_blocked_them(
    alice: User,
    bob: User,
    inbox: Callable[[User], Inbox],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    befriend(alice, bob)
    alice_tab, bob_tab = inbox(alice), inbox(bob)

    with django_capture_on_commit_callbacks(execute=True):
        do_block_user(alice, bob)

    alice_pushed = "".join(alice_tab.events())
    bob_events = bob_tab.events()
    bob_pushed = "".join(bob_events)
    assert f'id="blocked-{bob.pk}"' in alice_pushed
    assert "Blocked" in alice_pushed
    # Bob's tabs lose the chat, the friend and Alice's search row, with
    # no word of a block.
    assert len(bob_events) == 3
    assert f"delete:#search-result-{alice.pk}" in bob_pushed
    assert "block" not in bob_pushed.lower()


def test_unblocking_tells_the_blocked_user_nothing(
    alice: User,
    bob: User,
    inbox: Callable[[User], Inbox],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    do_block_user(alice, bob)
    alice_tab, bob_tab = inbox(alice), inbox(bob)

    with django_capture_on_commit_callbacks(execute=True):
        do_unblock_user(alice, bob)

    [pushed] = alice_tab.events()
    assert f'id="search-result-{bob.pk}"' in pushed
    assert f'id="blocked-{bob.pk}"' not in pushed
    assert bob_tab.events() == []


def test_accepting_a_request_after_a_block_is_refused(alice: User, bob: User) -> None:
    do_send_friend_request(bob, alice, "")
    do_block_user(alice, bob)

    with pytest.raises(SocialError):
        do_accept_friend_request(alice, bob)

    assert not Friendship.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        reverse("social:create_group"),
        reverse("social:rename_group", args=[1]),
        reverse("social:delete_group", args=[1]),
        reverse("social:move_friend", args=[1]),
        reverse("social:set_remark", args=[1]),
        reverse("social:delete_friend", args=[1]),
        reverse("social:block_user", args=[1]),
        reverse("social:unblock_user", args=[1]),
    ],
)
def test_anonymous_visitor_is_sent_to_log_in_and_changes_nothing(
    alice: User, bob: User, url: str
) -> None:
    befriend(alice, bob)

    response = Client().post(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login") + "?next=")
    assert Friendship.objects.count() == 2


@pytest.mark.parametrize("group", ["abc", "-1", "9" * 30])
def test_moving_a_friend_to_a_malformed_group_is_refused_clearly(
    alice: User, bob: User, client_for: Callable[[User], Client], group: str
) -> None:
    befriend(alice, bob)

    response = client_for(alice).post(
        friend_url("move_friend", bob.pk), {"group": group}
    )

    assert response.status_code == 302
    assert len(flashed(response)) == 1
    assert group_of(alice, bob) == "Friends"


def test_moving_a_friend_to_a_missing_group_is_not_found(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    befriend(alice, bob)

    response = client_for(alice).post(
        friend_url("move_friend", bob.pk), {"group": 999_999}
    )

    assert response.status_code == 404


def test_group_changes_redraw_only_the_owners_friend_list_once_each(
    alice: User,
    bob: User,
    inbox: Callable[[User], Inbox],
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    befriend(alice, bob)
    alice_tab, bob_tab = inbox(alice), inbox(bob)
    client = client_for(alice)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("social:create_group"), {"name": "Work"})
    group = FriendGroup.objects.get(name="Work")
    for url, data in (
        (friend_url("move_friend", bob.pk), {"group": group.pk}),
        (group_url("rename", group.pk), {"name": "Office"}),
        (group_url("delete", group.pk), {}),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url, data)

    pushed = alice_tab.events()
    versions = [int(re.findall(r'data-version="(\d+)"', html)[0]) for html in pushed]
    assert len(pushed) == 4
    assert all(html.lstrip().startswith('<div id="friend-list"') for html in pushed)
    assert versions == sorted(set(versions))
    assert "Office" in pushed[2]
    assert bob_tab.events() == []


def test_message_sent_into_a_chat_that_just_ended_is_not_found_and_not_kept(
    alice: User, bob: User
) -> None:
    chat = befriend(alice, bob)
    stale = membership(alice, chat)  # Read just before the friend is deleted.
    do_delete_friend(bob, alice)

    with pytest.raises(Http404):
        do_send_message(stale, "are you there?", uuid.uuid4())

    assert not Message.objects.exists()


def test_card_of_someone_you_blocked_offers_to_unblock_them(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    do_block_user(alice, bob)

    page = client_for(alice).get(reverse("social:user_card", args=[bob.pk])).text

    assert "Blocked" in page
    assert reverse("social:unblock_user", args=[bob.pk]) in page
    assert "Add friend" not in page
