"""Render chat fragments: one function per fragment, shared by the htmx
responses of ``chat.views`` and the live events of ``chat.events``, so the
two can never drift apart (STYLE.md habit 3)."""

from django.template.loader import render_to_string

from chat.queries import CatchUp, ChatRow, MessageItem, cursor

PAGE = "chat/chat.html"


def message(item: MessageItem) -> str:
    """One message, wrapped to be appended to its chat's message list.

    The sender's own tab gets the same partial inside ``#message_sent``.
    """
    return render_to_string(f"{PAGE}#message_oob", {"item": item})


def chat_row(row: ChatRow, *, move_to_top: bool) -> str:
    """One chat-list row, wrapped to replace the old one in place or to
    move to the top of the list (a chat with news)."""
    partial = "chat_row_moved" if move_to_top else "chat_row_updated"
    return render_to_string(f"{PAGE}#{partial}", {"row": row})


def unread_total(total: int) -> str:
    """The total unread badge in the navigation (and so the page title)."""
    return render_to_string("chat/_unread_total.html", {"total": total, "oob": True})


def catch_up(state: CatchUp) -> str:
    """Everything a tab whose socket (re)opened may have missed: a fresh
    chat list and badges, and the open chat's messages after the newest
    one the tab shows."""
    return render_to_string(
        f"{PAGE}#catch_up",
        {
            "chat_rows": state.chat_rows,
            "chat_id": state.chat_id,
            "items": state.items,
            "reset": state.reset,
            "cursor": cursor(state.items),
            "unread_total": state.unread_total,
            "incoming_count": state.incoming_count,
        },
    )
