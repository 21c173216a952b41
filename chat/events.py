"""Live events of ``chat``: render what each member's tabs are told.

Called only from ``transaction.on_commit`` callbacks scheduled by
``chat.actions``. Each function reads in a fixed number of queries, renders
each distinct fragment once (a message has at most a few variants: the
sender's own, and one per distinct sender name the members see), and hands
the result to ``accounts.live``.
"""

from django.conf import settings

from accounts import live
from accounts.live import LiveCount
from chat import fragments, queries
from chat.models import HiddenMessage, Membership, Message
from social.queries import remarks_for


def message_sent(message_id: int, read_from: int | None = None) -> None:
    """Append a new message in every member's open tabs; move its chat row
    to the top and update unread counts everywhere (L2, L5). A reply also
    updates its original's reply count (M5).

    ``read_from`` is the sender's read mark before posting, when posting
    read what came after it: the senders of those messages see it in the
    same push (M3)."""
    live.send_html(_message_deliveries(message_id, read_from).items())


def _message_deliveries(
    message_id: int | None, read_from: int | None = None
) -> dict[int, str]:
    """Each member's fragments for a new message: the message, its
    original's reply count, their chat row and their unread total, each
    distinct one rendered once; and the read states ``read_from`` asks
    for (see ``message_sent``)."""
    if message_id is None:
        return {}
    message = (
        Message.objects.select_related("sender", "reply_to__sender")
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        return {}
    original = message.reply_to
    memberships = queries.chat_memberships_for_rows(message.chat_id)
    rows = queries.membership_rows(memberships)
    member_ids = [m.user_id for m in memberships]
    named_ids = [m.sender_id for m in (message, original) if m and m.sender_id]
    remarks = remarks_for(member_ids, named_ids)
    nicknames = _nicknames(memberships)
    totals = queries.unread_totals(member_ids)
    prev_id = queries.previous_message_id(message.chat_id, message.pk)
    marks = queries.ReadMarks.of(memberships)
    reply_count_html = fragments.reply_count(original) if original else ""

    # Render each distinct fragment once, however many members share it:
    # rows and badges differ in each member's count and version, which go
    # in after rendering.
    row_html = fragments.chat_row_each(rows)
    total_html = fragments.unread_total_each(totals[uid] for uid in member_ids)
    message_html: dict[tuple[object, ...], str] = {}
    deliveries = {}
    for membership, row, total in zip(memberships, row_html, total_html, strict=True):
        item = queries.message_item(
            message,
            membership.user_id,
            remarks,
            prev_id,
            nicknames,
            marks=marks,
            original=original,
        )
        if item.variant not in message_html:
            message_html[item.variant] = fragments.message(item)
        deliveries[membership.user_id] = (
            message_html[item.variant] + reply_count_html + row + total
        )
    if read_from is not None and message.sender_id is not None:
        for user_id, html in _read_state_deliveries(
            message.chat_id, message.sender_id, read_from, message.pk, marks
        ):
            deliveries[user_id] = deliveries.get(user_id, "") + html
    return deliveries


def _nicknames(memberships: list[Membership]) -> queries.Nicknames:
    # A live event reads every member of the chat, nicknames included.
    return {(m.chat_id, m.user_id): m.nickname for m in memberships if m.nickname}


def message_withdrawn(message_id: int) -> None:
    """Show a recalled or removed message as such in every member's tabs,
    with the quotes of it, its original's reply count and each member's
    chat-list row (M6). A member who deleted it for themself keeps it
    hidden."""
    message = Message.objects.select_related("sender").filter(pk=message_id).first()
    if message is None:
        return
    memberships = queries.chat_memberships_for_rows(message.chat_id)
    rows = queries.membership_rows(memberships)
    member_ids = [m.user_id for m in memberships]
    remarks = remarks_for(member_ids, [message.sender_id] if message.sender_id else [])
    nicknames = _nicknames(memberships)
    totals = queries.unread_totals(member_ids)
    prev_id = queries.previous_message_id(message.chat_id, message.pk)
    hidden_for = set(
        HiddenMessage.objects.filter(message=message).values_list("user_id", flat=True)
    )
    shared_html = fragments.quotes_withdrawn(message)
    if message.reply_to_id is not None:
        original = Message.objects.filter(pk=message.reply_to_id).first()
        if original is not None:
            shared_html += fragments.reply_count(original)

    message_html: dict[tuple[object, ...], str] = {}
    row_html: dict[queries.ChatRow, str] = {}
    total_html: dict[LiveCount, str] = {}
    deliveries = []
    for row, membership in zip(rows, memberships, strict=True):
        html = shared_html
        total = totals[membership.user_id]
        if membership.user_id not in hidden_for:
            item = queries.message_item(
                message, membership.user_id, remarks, prev_id, nicknames
            )
            if item.variant not in message_html:
                message_html[item.variant] = fragments.message_replaced(item)
            html = message_html[item.variant] + html
        if row not in row_html:
            row_html[row] = fragments.chat_row(row)
        if total not in total_html:
            total_html[total] = fragments.unread_total(total)
        deliveries.append(
            (membership.user_id, html + row_html[row] + total_html[total])
        )
    live.send_html(deliveries)


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
    memberships = queries.chat_memberships_for_rows(chat_id, user_id)
    if not memberships:
        return
    membership = memberships[0]
    [row] = queries.membership_rows(memberships)
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


def message_hidden(message_id: int, user_id: int) -> None:
    """Hide a message in every tab of the member who deleted it for
    themself, and show their chat-list row's new preview (M6)."""
    message = Message.objects.select_related("sender").filter(pk=message_id).first()
    if message is None:
        return
    prev_id = queries.previous_message_id(message.chat_id, message.pk)
    item = queries.message_item(message, user_id, {}, prev_id, hidden=True)
    live.send_html([(user_id, fragments.message_replaced(item))])
    _send_rows(message.chat_id, only_user_id=user_id)


def chat_opened(chat_id: int) -> None:
    """Show a new chat in every member's chat list."""
    _send_rows(chat_id)


def chat_ended(chat_id: int, user_ids: list[int]) -> None:
    """A chat is gone (S6): its row leaves every former member's list, an
    open page of it says it ended, and the unread total drops."""
    totals = queries.unread_totals(user_ids)
    live.send_html(
        (
            user_id,
            fragments.chat_ended(chat_id) + fragments.unread_total(totals[user_id]),
        )
        for user_id in user_ids
    )


def chat_read(chat_id: int, user_id: int, read_from: int, read_to: int) -> None:
    """Clear the unread badge of a chat in every tab of this member (M9),
    and show the senders of what they read that they read it (M3)."""
    _send_rows(chat_id, only_user_id=user_id)
    read_states_changed(chat_id, user_id, read_from, read_to)


def read_states_changed(
    chat_id: int, reader_id: int, read_from: int, read_to: int
) -> None:
    """Tell the senders of the messages ``reader_id`` has just read, those
    in ``(read_from, read_to]``, who has read them now (M3)."""
    live.send_html(_read_state_deliveries(chat_id, reader_id, read_from, read_to, None))


def _read_state_deliveries(
    chat_id: int,
    reader_id: int,
    read_from: int,
    read_to: int,
    marks: queries.ReadMarks | None,
) -> list[tuple[int, str]]:
    # One push per sender, with the new read state of each of their
    # messages there, the newest NOVA_READ_PUSH_LIMIT of them. Without
    # ``marks`` from the caller, they are read only if anything was.
    just_read = list(
        Message.objects.filter(
            chat_id=chat_id,
            pk__gt=read_from,
            pk__lte=read_to,
            kind=Message.Kind.TEXT,
            status=Message.Status.SHOWN,
            sender__isnull=False,
        )
        .exclude(sender_id=reader_id)
        .order_by("-pk")[: settings.NOVA_READ_PUSH_LIMIT]
    )
    if not just_read:
        return []
    if marks is None:
        marks = queries.read_marks(chat_id)
    by_sender: dict[int, list[str]] = {}
    for message in just_read:
        html = fragments.read_state(message, marks.state(message))
        by_sender.setdefault(message.sender_id or 0, []).append(html)
    return [(sender_id, "".join(parts)) for sender_id, parts in by_sender.items()]


def settings_saved(chat_id: int, user_id: int) -> None:
    """Mute or pin changed (C8): the member's row moves or changes its badge
    in every tab of theirs, and their unread total with it."""
    _send_rows(chat_id, only_user_id=user_id)


def _send_rows(chat_id: int, only_user_id: int | None = None) -> None:
    memberships = queries.chat_memberships_for_rows(chat_id, only_user_id)
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


def member_typing(membership: Membership) -> None:
    """Show "<name> is typing…" in the chat's other members' tabs (M10).

    Nothing is stored: the line leaves their tabs after five seconds
    without another. One fragment is rendered per name the others see.
    """
    typist = membership.user
    others = list(
        Membership.objects.filter(chat_id=membership.chat_id)
        .exclude(user_id=typist.pk)
        .values_list("user_id", flat=True)
    )
    remarks = remarks_for(others, [typist.pk])
    chat_id = membership.chat_id
    nicknames = {(chat_id, typist.pk): membership.nickname}
    html_by_name: dict[str, str] = {}
    deliveries = []
    for viewer_id in others:
        name = queries.display_name(typist, viewer_id, remarks, nicknames, chat_id)
        if name not in html_by_name:
            html_by_name[name] = fragments.typing(membership.chat_id, typist.pk, name)
        deliveries.append((viewer_id, html_by_name[name]))
    live.send_html(deliveries)
