"""Render chat fragments sent from more than one place: live events of
``chat.events`` and the consumer's catch-ups. Each wraps a named partial of
``chat/chat.html``, the same partial the page and its htmx responses use
(STYLE.md habit 3)."""

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from accounts.live import LiveCount
from chat.models import Message
from chat.queries import (
    CatchUp,
    ChatRow,
    GroupPanel,
    HistoryPage,
    InvitationBox,
    MessageItem,
    ReadState,
    cursor,
    withdrawn_quote_text,
)

PAGE = "chat/chat.html"


def message(item: MessageItem) -> str:
    """One message, wrapped to be appended to its chat's message list.

    The sender's own tab gets the same partial inside ``#message_sent``.
    """
    return render_to_string(f"{PAGE}#message_oob", {"item": item})


def message_replaced(item: MessageItem) -> str:
    """One message, to take the place of its older self wherever a tab
    shows it (recalled, removed, hidden)."""
    return render_to_string(f"{PAGE}#message", {"item": item, "replace": True})


def reply_count(message: Message) -> str:
    """A message's reply count, to take its place wherever it is shown."""
    return render_to_string(
        f"{PAGE}#reply_count", {"message": message, "oob_part": True}
    )


def quotes_withdrawn(message: Message) -> str:
    """Every quote of a message that was just recalled or removed says so,
    in every reply that shows it."""
    text = withdrawn_quote_text(message.status)
    return render_to_string(
        f"{PAGE}#quotes_withdrawn", {"message": message, "text": text}
    )


def read_state(message: Message, state: ReadState) -> str:
    """Who has read one of its sender's messages, to take its place."""
    context = {"message": message, "read_state": state, "oob_part": True}
    return render_to_string(f"{PAGE}#read_state", context)


def chat_row(row: ChatRow) -> str:
    """One chat-list row, wrapped to take its place in the list: nova.js
    puts it where its sort key says, unless the page has a newer version."""
    return render_to_string(f"{PAGE}#chat_rows_pushed", {"chat_rows": [row]})


def chat_ended(chat_id: int) -> str:
    """Drop a deleted chat's row; an open page of it says it ended."""
    return render_to_string(f"{PAGE}#chat_ended_pushed", {"chat_id": chat_id})


def unread_total(total: LiveCount) -> str:
    """The total unread badge in the navigation (and so the page title)."""
    return render_to_string("chat/_unread_total.html", {"total": total, "oob": True})


def group_panel(panel: GroupPanel) -> str:
    """One member's group panel (C4), its summary count and the chat's
    name in the header, each swapped into place."""
    return render_to_string(f"{PAGE}#group_panel_pushed", {"panel": panel})


def invitation_box(box: InvitationBox) -> str:
    """A user's invitation box (C6), swapped into place."""
    return render_to_string(
        f"{PAGE}#invitation_box", {"invitation_box": box, "oob": True}
    )


def chat_gone(chat_id: int, deleted: bool | None, total: LiveCount) -> str:
    """For a member who is out of a group, or whose group went: its row
    leaves their list, and an open tab of it can no longer post (C7).

    ``deleted`` says whether the group went; None when it is not known
    (a tab that was offline meanwhile asks about a chat it is not in).
    """
    context = {"chat_id": chat_id, "deleted": deleted, "total": total}
    return render_to_string(f"{PAGE}#chat_gone", context)


def empty_history(chat_id: int, cleared_before_id: int) -> str:
    """The open chat's message list, emptied by "clear history" (C8)."""
    page = HistoryPage(items=[], older_than=None, newer_than=None)
    context = {"chat_id": chat_id, "page": page, "cursor": cleared_before_id}
    return render_to_string(f"{PAGE}#message_list_pushed", context)


# Stand-ins for the numbers in which one chat's rows, as its members see
# them, differ from member to member. Safe strings, so templates print them
# as they are; each holds a "<", which no escaped text of a user can, so
# replacing them afterwards touches nothing else. (Any: they stand where
# the dataclasses hold ints.)
_UNREAD_COUNT: Any = mark_safe("<nova-unread-count>")
_VERSION: Any = mark_safe("<nova-version>")


def chat_row_each(rows: Iterable[ChatRow]) -> list[str]:
    """``chat_row`` of each row, rendering once per shape rather than once
    per row (L5): the rows of a chat of 200 differ in little but their
    unread count and version, which are put in after rendering."""
    rendered: dict[ChatRow, str] = {}
    fragments = []
    for row in rows:
        shape = replace(
            row,
            unread_count=_UNREAD_COUNT if row.unread_count else 0,
            version=_VERSION,
        )
        if shape not in rendered:
            rendered[shape] = chat_row(shape)
        fragments.append(
            rendered[shape]
            .replace(_UNREAD_COUNT, str(row.unread_count))
            .replace(_VERSION, str(row.version))
        )
    return fragments


def unread_total_each(totals: Iterable[LiveCount]) -> list[str]:
    """``unread_total`` of each total, rendering once per shape: a count of
    0 hides the badge and 1 takes the singular, so those two are rendered
    as they are; any larger count and every version are put in after."""
    rendered: dict[int, str] = {}
    fragments = []
    for total in totals:
        shape = min(total.count, 2)
        if shape not in rendered:
            count = total.count if shape < 2 else _UNREAD_COUNT
            rendered[shape] = unread_total(LiveCount(count, _VERSION))
        fragments.append(
            rendered[shape]
            .replace(_UNREAD_COUNT, str(total.count))
            .replace(_VERSION, str(total.version))
        )
    return fragments


def typing(chat_id: int, user_id: int, name: str) -> str:
    """The line "<name> is typing…" for the chat's typing area (M10)."""
    context = {"chat_id": chat_id, "user_id": user_id, "name": name}
    return render_to_string(f"{PAGE}#typist", context)


def catch_up(state: CatchUp) -> list[str]:
    """Everything a tab whose socket (re)opened may have missed, as one or
    more frames: a fresh chat list and badges, the open chat's messages
    after its cursor, and the new look of those it shows that changed.

    A websocket frame has a size limit (daphne's is 1 MiB), and a message
    can render to tens of kilobytes, so the messages go in parts of at most
    ``NOVA_CATCH_UP_BYTES``, oldest first. When the tab's list is to be
    replaced, only the newest messages that fit one part are sent.
    """
    budget = settings.NOVA_CATCH_UP_BYTES
    parts: list[list[tuple[MessageItem, str]]] = [[]]
    size = 0
    ordered = reversed(state.items) if state.reset else state.items
    for item in ordered:
        html = render_to_string(f"{PAGE}#message", {"item": item})
        if parts[-1] and size + len(html) > budget:
            if state.reset:
                break
            parts.append([])
            size = 0
        parts[-1].append((item, html))
        size += len(html)
    older_than = None
    if state.reset:
        parts[0].reverse()
        # Messages left out for size are older history, as is the page's.
        if parts[0] and (len(parts[0]) < len(state.items) or state.older_than):
            older_than = parts[0][0][0].message.pk

    frames: list[str] = []
    for index, part in enumerate(parts):
        items = [item for item, _ in part]
        context: dict[str, object] = {
            "chat_id": state.chat_id,
            "items": items,
            "messages_html": mark_safe("".join(html for _, html in part)),
            "reset": state.reset,
            "page": HistoryPage(items, older_than=older_than, newer_than=None),
            "cursor": cursor(items),
            "first": index == 0,
        }
        if index == 0:
            context |= {
                "chat_rows": state.chat_rows,
                "unread_total": state.unread_total,
                "incoming_count": state.incoming_count,
                "invitation_box": state.invitation_box,
                "panel": state.panel,
            }
        frames.append(render_to_string(f"{PAGE}#catch_up", context))
    frames[0] += "".join(_refreshed(item) for item in state.refreshed)
    return frames


def _refreshed(item: MessageItem) -> str:
    if item.read_state is not None:
        return read_state(item.message, item.read_state)
    return message_replaced(item)
