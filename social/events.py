"""Live events of ``social``: render the fragments each tab is told.

Called only from ``transaction.on_commit`` callbacks scheduled by
``social.actions``. Each function reads what it needs in a fixed number of
queries, renders each fragment once per distinct content, and hands the
result to ``accounts.live``.
"""

from django.template.loader import render_to_string

from accounts import live
from social.models import FriendRequest, Friendship
from social.queries import incoming_request_counts


def friend_request_sent(request_id: int, replaced_ids: list[int]) -> None:
    friend_request = (
        FriendRequest.objects.select_related("sender", "receiver")
        .filter(pk=request_id)
        .first()
    )
    if friend_request is None:  # Closed again before this ran.
        return
    receiver_id = friend_request.receiver_id
    counts = incoming_request_counts([receiver_id])
    context = {"friend_request": friend_request, "closed_ids": replaced_ids}
    live.send_html(
        [
            (
                receiver_id,
                render_to_string(
                    "social/friends.html#incoming_request_pushed",
                    {**context, "incoming_count": counts[receiver_id]},
                ),
            ),
            (
                friend_request.sender_id,
                render_to_string(
                    "social/friends.html#outgoing_request_pushed", context
                ),
            ),
        ]
    )


def friend_requests_closed(request_ids: list[int], user_ids: list[int]) -> None:
    counts = incoming_request_counts(user_ids)
    live.send_html(
        (
            user_id,
            render_to_string(
                "social/friends.html#requests_closed_pushed",
                {"closed_ids": request_ids, "incoming_count": counts[user_id]},
            ),
        )
        for user_id in user_ids
    )


def friends_made(user_id: int, other_id: int, closed_request_ids: list[int]) -> None:
    counts = incoming_request_counts([user_id, other_id])
    friendships = Friendship.objects.select_related("friend").filter(
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
                },
            ),
        )
        for friendship in friendships
    )
