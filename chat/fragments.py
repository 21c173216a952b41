"""Render chat fragments sent from more than one place: live events of
``chat.events`` and the consumer's catch-ups. Each wraps a named partial of
``chat/chat.html``, the same partial the page and its htmx responses use
(STYLE.md habit 3)."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from accounts.live import LiveCount
from chat.queries import CatchUp, ChatRow, MessageItem, cursor

PAGE = "chat/chat.html"


def message(item: MessageItem) -> str:
    """One message, wrapped to be appended to its chat's message list.

    The sender's own tab gets the same partial inside ``#message_sent``.
    """
    return render_to_string(f"{PAGE}#message_oob", {"item": item})


def chat_row(row: ChatRow) -> str:
    """One chat-list row, wrapped to take its place in the list: nova.js
    puts it where its sort key says, unless the page has a newer version."""
    return render_to_string(f"{PAGE}#chat_rows_pushed", {"chat_rows": [row]})


def chat_removed(chat_id: int) -> str:
    """A chat that no longer exists: its row leaves the chat list, and a
    tab that has it open says so instead of showing it."""
    return render_to_string(f"{PAGE}#chat_removed_pushed", {"chat_id": chat_id})


def unread_total(total: LiveCount) -> str:
    """The total unread badge in the navigation (and so the page title)."""
    return render_to_string("chat/_unread_total.html", {"total": total, "oob": True})


def catch_up(state: CatchUp) -> list[str]:
    """Everything a tab whose socket (re)opened may have missed, as one or
    more frames: a fresh chat list and badges, and the open chat's messages
    after its cursor.

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
    if state.reset:
        parts[0].reverse()

    frames: list[str] = []
    for index, part in enumerate(parts):
        items = [item for item, _ in part]
        context: dict[str, object] = {
            "chat_id": state.chat_id,
            "items": items,
            "messages_html": mark_safe("".join(html for _, html in part)),
            "reset": state.reset,
            "cursor": cursor(items),
            "first": index == 0,
        }
        if index == 0:
            context |= {
                "chat_rows": state.chat_rows,
                "unread_total": state.unread_total,
                "incoming_count": state.incoming_count,
            }
        frames.append(render_to_string(f"{PAGE}#catch_up", context))
    return frames
