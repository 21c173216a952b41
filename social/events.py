"""Live events of ``social``: render the fragments each tab is told.

Called only from ``transaction.on_commit`` callbacks scheduled by
``social.actions``. Each function reads what it needs in a fixed number of
queries, renders each fragment once per distinct content, and hands the
result to ``accounts.live``.
"""

from django.template.loader import render_to_string

from accounts import live
from accounts.models import User
from social.models import FriendRequest, Friendship
from social.queries import UserWithRelation, incoming_request_counts, with_relations


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
    counts = incoming_request_counts([user_id, other_id])
    results = _search_results(user_id, other_id)
    friendships = Friendship.objects.select_related("friend", "group").filter(
        user_id__in=[user_id, other_id], friend_id__in=[user_id, other_id]
    )
    live.send_html(
        (
            friendship.user_id,
            render_to_string(
                "social/friends.html#friend_added_pushed",
                {
                    "friendship": friendship,
                    "closed_ids": closed_request_ids,
                    "incoming_count": counts[friendship.user_id],
                    "result": results[friendship.user_id],
                },
            ),
        )
        for friendship in friendships
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
            ),
        )
        for viewer_id in viewer_ids
        if viewer_id in counts
    )
