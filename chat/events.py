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
    live.send_html(_message_deliveries(message_id).items())


def _message_deliveries(message_id: int | None) -> dict[int, str]:
    """Each member's fragments for a new message: the message, their chat
    row and their unread total, each distinct one rendered once."""
    if message_id is None:
        return {}
    message = Message.objects.select_related("sender").filter(pk=message_id).first()
    if message is None:
        return {}
    memberships = list(queries.memberships_for_rows().filter(chat_id=message.chat_id))
    rows = queries.membership_rows(memberships)
    member_ids = [m.user_id for m in memberships]
    remarks = remarks_for(member_ids, [message.sender_id] if message.sender_id else [])
    nicknames = {(m.chat_id, m.user_id): m.nickname for m in memberships if m.nickname}
    totals = queries.unread_totals(member_ids)
    prev_id = queries.previous_message_id(message.chat_id, message.pk)

    # Render each distinct fragment once, however many members share it.
    message_html: dict[tuple[bool, str], str] = {}
    row_html: dict[queries.ChatRow, str] = {}
    total_html: dict[LiveCount, str] = {}
    deliveries = {}
    for row, membership in zip(rows, memberships, strict=True):
        item = queries.message_item(
            message, membership.user_id, remarks, prev_id, nicknames
        )
        total = totals[membership.user_id]
        variant = (item.is_own, item.sender_name)
        if variant not in message_html:
            message_html[variant] = fragments.message(item)
        if row not in row_html:
            row_html[row] = fragments.chat_row(row)
        if total not in total_html:
            total_html[total] = fragments.unread_total(total)
        deliveries[membership.user_id] = (
            message_html[variant] + row_html[row] + total_html[total]
        )
    return deliveries


def group_changed(chat_id: int, line_id: int | None, gone_user_ids: list[int]) -> None:
    """A group changed (C3-C8): every member's tabs get the system line, their
    row and their group panel; those who are out get told so (C7)."""
    deliveries = _message_deliveries(line_id)
    for user_id, html in _panel_deliveries(chat_id).items():
        deliveries[user_id] = deliveries.get(user_id, "") + html
    for user_id, html in _gone_deliveries(chat_id, gone_user_ids, deleted=False):
        deliveries[user_id] = html
    live.send_html(deliveries.items())


def group_deleted(
    chat_id: int, member_ids: list[int], concerned_ids: list[int]
) -> None:
    """A group went (disbanded, or its last member left): its members' tabs
    drop it and show it is gone; invitation boxes show it disbanded."""
    deliveries = dict(_gone_deliveries(chat_id, member_ids, deleted=True))
    for user_id, html in _box_deliveries(concerned_ids).items():
        deliveries[user_id] = deliveries.get(user_id, "") + html
    live.send_html(deliveries.items())


def invitation_changed(
    chat_id: int, line_id: int | None, concerned_ids: list[int]
) -> None:
    """An invitation moved on (C6): the invitee's and the inviter's boxes,
    every member's panel (the approval queue), and the join line if any."""
    deliveries = _message_deliveries(line_id)
    for user_id, html in _panel_deliveries(chat_id).items():
        deliveries[user_id] = deliveries.get(user_id, "") + html
    for user_id, html in _box_deliveries(concerned_ids).items():
        deliveries[user_id] = deliveries.get(user_id, "") + html
    live.send_html(deliveries.items())


def history_cleared(chat_id: int, user_id: int) -> None:
    """Empty the history in every tab of the member who cleared it (C8)."""
    membership = (
        queries.memberships_for_rows().filter(chat_id=chat_id, user_id=user_id).first()
    )
    if membership is None:
        return
    [row] = queries.membership_rows([membership])
    total = queries.unread_totals([user_id])[user_id]
    live.send_html(
        [
            (
                user_id,
                fragments.empty_history(chat_id, membership.cleared_before_id)
                + fragments.chat_row(row)
                + fragments.unread_total(total),
            )
        ]
    )


def _panel_deliveries(chat_id: int) -> dict[int, str]:
    # The panel shows each viewer their own role's controls and the names
    # they see (remarks), so it is rendered per member.
    return {
        user_id: fragments.group_panel(panel)
        for user_id, panel in queries.group_panels(chat_id).items()
    }


def _box_deliveries(user_ids: list[int]) -> dict[int, str]:
    return {
        user_id: fragments.invitation_box(box)
        for user_id, box in queries.invitation_boxes(user_ids).items()
    }


def _gone_deliveries(
    chat_id: int, user_ids: list[int], deleted: bool
) -> list[tuple[int, str]]:
    if not user_ids:
        return []
    totals = queries.unread_totals(user_ids)
    gone_html: dict[LiveCount, str] = {}
    deliveries = []
    for user_id in user_ids:
        total = totals.get(user_id)
        if total is None:  # The account is gone too.
            continue
        if total not in gone_html:
            gone_html[total] = fragments.chat_gone(chat_id, deleted, total)
        deliveries.append((user_id, gone_html[total]))
    return deliveries


def chat_opened(chat_id: int) -> None:
    """Show a new chat in every member's chat list."""
    _send_rows(chat_id)


def chat_read(chat_id: int, user_id: int) -> None:
    """Clear the unread badge of a chat in every tab of this member (M9)."""
    _send_rows(chat_id, only_user_id=user_id)


def settings_saved(chat_id: int, user_id: int) -> None:
    """Mute or pin changed (C8): the member's row moves or changes its badge
    in every tab of theirs, and their unread total with it."""
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
