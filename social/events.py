"""Live events of ``social``: render the fragments each tab is told.

Called only from ``transaction.on_commit`` callbacks scheduled by
``social.actions``. Each function reads what it needs in a fixed number of
queries, renders each fragment once per distinct content, and hands the
result to ``accounts.live``.
"""

from django.template.loader import render_to_string

from accounts import live
from accounts.models import User
from social import queries
from social.models import FriendRequest, Friendship, Presence
from social.queries import UserWithRelation, incoming_request_counts, with_relations

PAGE = "social/friends.html"


def _search_results(user_id: int, other_id: int) -> dict[int, UserWithRelation]:
    """How each of two users now stands to the other, keyed by viewer: the
    row of the other that the viewer's search results show, if any."""
    users = User.objects.in_bulk([user_id, other_id])
    return {
        viewer: with_relations(users[viewer], [users[other]])[0]
        for viewer, other in ((user_id, other_id), (other_id, user_id))
    }


def friend_request_sent(request_id: int, replaced_ids: list[int]) -> None:
    friend_request = (
        FriendRequest.objects.select_related("sender", "receiver")
        .filter(pk=request_id)
        .first()
    )
    if friend_request is None:  # Closed again before this ran.
        return
    receiver_id, sender_id = friend_request.receiver_id, friend_request.sender_id
    counts = incoming_request_counts([receiver_id])
    results = _search_results(sender_id, receiver_id)
    context = {"friend_request": friend_request, "closed_ids": replaced_ids}
    live.send_html(
        [
            (
                receiver_id,
                render_to_string(
                    "social/friends.html#incoming_request_pushed",
                    {
                        **context,
                        "incoming_count": counts[receiver_id],
                        "result": results[receiver_id],
                    },
                ),
            ),
            (
                sender_id,
                render_to_string(
                    "social/friends.html#outgoing_request_pushed",
                    {**context, "result": results[sender_id]},
                ),
            ),
        ]
    )


def friend_requests_closed(request_ids: list[int], user_id: int, other_id: int) -> None:
    """Requests between two users closed without a friendship."""
    user_ids = [user_id, other_id]
    counts = incoming_request_counts(user_ids)
    results = _search_results(user_id, other_id)
    live.send_html(
        (
            user_id,
            render_to_string(
                "social/friends.html#requests_closed_pushed",
                {
                    "closed_ids": request_ids,
                    "incoming_count": counts[user_id],
                    "result": results[user_id],
                },
            ),
        )
        for user_id in user_ids
    )


def friends_made(user_id: int, other_id: int, closed_request_ids: list[int]) -> None:
    """Both users' tabs: the request rows go, the badge and search row
    change, and the friend list shows the new friend."""
    user_ids = [user_id, other_id]
    counts = incoming_request_counts(user_ids)
    results = _search_results(user_id, other_id)
    live.send_html(
        (
            viewer_id,
            render_to_string(
                f"{PAGE}#requests_closed_pushed",
                {
                    "closed_ids": closed_request_ids,
                    "incoming_count": counts[viewer_id],
                    "result": results[viewer_id],
                },
            )
            + friend_list(viewer_id),
        )
        for viewer_id in user_ids
    )


def friend_list(user_id: int) -> str:
    """A user's whole friend list, to replace the one their tabs show.

    It carries the user's ``live_version`` read before the list, so it
    never claims to be newer than what it shows.
    """
    user = User.objects.get(pk=user_id)
    context = {**queries.friend_list_context(user), "oob": True}
    return render_to_string(f"{PAGE}#friend_list", context)


def friend_lists_changed(user_ids: list[int]) -> None:
    """Redraw the friend list in every tab of these users (S4-S6)."""
    live.send_html((user_id, friend_list(user_id)) for user_id in user_ids)


def remark_changed(user_id: int, friend_id: int, name: str) -> None:
    """The user's name for a friend changed (S5): every place their tabs
    show it (chat list, chat header, message senders, friend list) takes
    the new name."""
    html = render_to_string(f"{PAGE}#name_pushed", {"user_id": friend_id, "name": name})
    live.send_html([(user_id, html + friend_list(user_id))])


def block_changed(
    blocker_id: int, blocked_id: int, closed_ids: list[int], blocking: bool
) -> None:
    """A block was made (``blocking``) or lifted (S7). The blocker sees the
    new state in their search row and blocked list. The blocked user only
    sees requests close and the blocker vanish from their search, never
    why; a lifted block tells them nothing (they find the blocker again on
    their next search)."""
    counts = incoming_request_counts([blocker_id, blocked_id])
    results = _search_results(blocker_id, blocked_id)
    blocker = User.objects.get(pk=blocker_id)
    deliveries = [
        (
            blocker_id,
            render_to_string(
                f"{PAGE}#block_changed_pushed",
                {
                    "closed_ids": closed_ids,
                    "incoming_count": counts[blocker_id],
                    "result": results[blocker_id],
                    "blocks": queries.blocks(blocker),
                },
            ),
        )
    ]
    if blocking:
        html = render_to_string(
            f"{PAGE}#requests_closed_pushed",
            {
                "closed_ids": closed_ids,
                "incoming_count": counts[blocked_id],
                "hidden_user_id": blocker_id,
            },
        )
        deliveries.append((blocked_id, html))
    live.send_html(deliveries)


def presence_changed(user_id: int) -> None:
    """Tell the tabs showing a user's friends whether they are online
    (M10): one dot, rendered once, to every friend who watches."""
    presence = Presence.objects.filter(user_id=user_id).first()
    if presence is None:
        return
    html = render_to_string(
        "social/_presence_dot.html",
        {
            "user_id": user_id,
            "online": presence.online,
            "version": presence.version,
            "oob": True,
        },
    )
    watchers = Friendship.objects.filter(friend_id=user_id).values_list(
        "user_id", flat=True
    )
    live.send_presence((watcher_id, html) for watcher_id in watchers)


def presence_snapshot(user_id: int) -> str:
    """Every friend's dot as it is now, for a tab whose socket (re)opened."""
    user = User.objects.get(pk=user_id)
    return render_to_string(
        f"{PAGE}#presence_snapshot",
        {"friendships": queries.friendships(user)},
    )


def account_removed(
    user_id: int, friend_ids: list[int], closed_request_ids: dict[int, list[int]]
) -> None:
    """A deleted account leaves the friend lists, request lists and search
    results of everyone it was a friend of or had an open request with."""
    viewer_ids = sorted({*friend_ids, *closed_request_ids})
    counts = incoming_request_counts(viewer_ids)
    live.send_html(
        (
            viewer_id,
            render_to_string(
                "social/friends.html#account_removed_pushed",
                {
                    "user_id": user_id,
                    "closed_ids": closed_request_ids.get(viewer_id, []),
                    "incoming_count": counts[viewer_id],
                },
            )
            # A former friend's grouped list, with its counts, is redrawn.
            + (friend_list(viewer_id) if viewer_id in friend_ids else ""),
        )
        for viewer_id in viewer_ids
        if viewer_id in counts
    )
