"""Live events of ``chat``: render what each member's tabs are told.

Called only from ``transaction.on_commit`` callbacks scheduled by
``chat.actions``. Each function reads in a fixed number of queries, renders
each distinct fragment once (a message has at most a few variants: the
sender's own, and one per distinct sender name the members see), and hands
the result to ``accounts.live``.
"""

from accounts import live
from chat import fragments, queries
from chat.models import Message
from social.queries import remarks_for


def message_sent(message_id: int) -> None:
    """Append a new message in every member's open tabs; move its chat row
    to the top and update unread counts everywhere (L2, L5)."""
    message = (
        Message.objects.select_related("sender", "chat__last_message__sender")
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        return
    memberships = queries.members_for_rows(message.chat)
    member_ids = [m.user_id for m in memberships]
    rows = fragments.chat_row_each(queries.membership_rows(memberships))
    remarks = remarks_for(member_ids, [message.sender_id] if message.sender_id else [])
    totals = queries.unread_totals(member_ids)
    badges = fragments.unread_total_each(totals[user_id] for user_id in member_ids)
    prev_id = queries.previous_message_id(message.chat_id, message.pk)

    # Render each variant of the message once, however many members see it.
    message_html: dict[tuple[bool, str], str] = {}
    deliveries = []
    for user_id, row_html, badge_html in zip(member_ids, rows, badges, strict=True):
        variant = queries.message_variant(message, user_id, remarks)
        if variant not in message_html:
            item = queries.message_item(message, user_id, remarks, prev_id)
            message_html[variant] = fragments.message(item)
        deliveries.append((user_id, message_html[variant] + row_html + badge_html))
    live.send_html(deliveries)


def chat_opened(chat_id: int) -> None:
    """Show a new chat in every member's chat list."""
    _send_rows(chat_id)


def chat_read(chat_id: int, user_id: int) -> None:
    """Clear the unread badge of a chat in every tab of this member (M9)."""
    _send_rows(chat_id, only_user_id=user_id)


def _send_rows(chat_id: int, only_user_id: int | None = None) -> None:
    selected = queries.memberships_for_rows().filter(chat_id=chat_id)
    if only_user_id is not None:
        selected = selected.filter(user_id=only_user_id)
    memberships = list(selected)
    rows = queries.membership_rows(memberships)
    totals = queries.unread_totals(m.user_id for m in memberships)
    live.send_html(
        (
            membership.user_id,
            fragments.chat_row(row)
            + fragments.unread_total(totals[membership.user_id]),
        )
        for row, membership in zip(rows, memberships, strict=True)
    )
