"""Live events of ``chat``: render what each member's tabs are told.

Called only from ``transaction.on_commit`` callbacks scheduled by
``chat.actions``. Each function reads in a fixed number of queries, renders
each distinct fragment once (a message has at most a few variants: the
sender's own, and one per distinct sender name the members see), and hands
the result to ``accounts.live``.
"""

from accounts import live
from accounts.live import LiveCount
from chat import fragments, queries
from chat.models import Message
from social.queries import remarks_for


def message_sent(message_id: int) -> None:
    """Append a new message in every member's open tabs; move its chat row
    to the top and update unread counts everywhere (L2, L5)."""
    message = Message.objects.select_related("sender").filter(pk=message_id).first()
    if message is None:
        return
    memberships = list(queries.memberships_for_rows().filter(chat_id=message.chat_id))
    rows = queries.membership_rows(memberships)
    member_ids = [m.user_id for m in memberships]
    remarks = remarks_for(member_ids, [message.sender_id] if message.sender_id else [])
    totals = queries.unread_totals(member_ids)
    prev_id = queries.previous_message_id(message.chat_id, message.pk)

    # Render each distinct fragment once, however many members share it.
    message_html: dict[tuple[bool, str], str] = {}
    row_html: dict[queries.ChatRow, str] = {}
    total_html: dict[LiveCount, str] = {}
    deliveries = []
    for row, membership in zip(rows, memberships, strict=True):
        item = queries.message_item(message, membership.user_id, remarks, prev_id)
        total = totals[membership.user_id]
        variant = (item.is_own, item.sender_name)
        if variant not in message_html:
            message_html[variant] = fragments.message(item)
        if row not in row_html:
            row_html[row] = fragments.chat_row(row)
        if total not in total_html:
            total_html[total] = fragments.unread_total(total)
        deliveries.append(
            (
                membership.user_id,
                message_html[variant] + row_html[row] + total_html[total],
            )
        )
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


def chat_removed(chat_id: int, user_ids: list[int]) -> None:
    """Take a deleted chat out of these users' tabs: its chat-list row, and
    the chat itself where it is open; their unread totals follow."""
    html = fragments.chat_removed(chat_id)
    totals = queries.unread_totals(user_ids)
    live.send_html(
        (user_id, html + fragments.unread_total(total))
        for user_id, total in totals.items()
    )
