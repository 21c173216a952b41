"""Read-only queries that build what chat pages and live events show.

Every function here reads in a fixed number of queries, whatever the
number of chats, members or messages it is given.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet, Sum

from accounts.live import LiveCount
from accounts.models import User, default_avatar_url
from chat.models import Chat, Membership, Message
from social.queries import incoming_request_counts, remarks_for

DELETED_USER = "Deleted user"


@dataclass(frozen=True)
class ChatRow:
    """One chat as one member sees it in their chat list (C1)."""

    chat_id: int
    kind: str
    title: str
    avatar_url: str
    preview: str
    last_activity_iso: str
    unread_count: int
    muted: bool
    pinned: bool
    version: int

    @property
    def sort_key(self) -> str:
        """Orders rows as the chat list does, compared as text, descending:
        pinned first, then by last activity, then the newer chat."""
        return f"{int(self.pinned)}|{self.last_activity_iso}|{self.chat_id:020d}"


@dataclass(frozen=True)
class MessageItem:
    """One message as one viewer sees it (M3).

    ``prev_id`` is the id of the chat's message just before this one (0 for
    the first). A tab that shows message ``prev_id`` and receives this one
    knows it missed nothing in between (L3).
    """

    message: Message
    is_own: bool
    sender_name: str
    sender_avatar_url: str
    prev_id: int


def _name(
    user: User | None, viewer_id: int, remarks: dict[tuple[int, int], str]
) -> str:
    if user is None:
        return DELETED_USER
    return remarks.get((viewer_id, user.pk), user.username)


def membership_rows(memberships: list[Membership]) -> list[ChatRow]:
    """Build chat-list rows for these memberships, in two queries.

    The memberships must come with ``chat__last_message__sender`` selected
    (see ``memberships_for_rows``). They may belong to one viewer (their
    chat list) or to every member of one chat (a live event).
    """
    private_chat_ids = [
        m.chat_id for m in memberships if m.chat.kind == Chat.Kind.PRIVATE
    ]
    members_by_chat: dict[int, list[User]] = defaultdict(list)
    for other in Membership.objects.filter(chat_id__in=private_chat_ids).select_related(
        "user"
    ):
        members_by_chat[other.chat_id].append(other.user)

    viewer_ids = {m.user_id for m in memberships}
    named_ids = {user.pk for users in members_by_chat.values() for user in users}
    named_ids |= {
        m.chat.last_message.sender_id
        for m in memberships
        if m.chat.last_message and m.chat.last_message.sender_id
    }
    remarks = remarks_for(list(viewer_ids), list(named_ids))
    # Once, not per row: with hashed static names it costs a lookup.
    group_avatar_url = default_avatar_url()

    rows = []
    for membership in memberships:
        chat, viewer_id = membership.chat, membership.user_id
        if chat.kind == Chat.Kind.PRIVATE:
            partner = next(
                (u for u in members_by_chat[chat.pk] if u.pk != viewer_id), None
            )
            title = _name(partner, viewer_id, remarks)
            avatar_url = partner.avatar_url if partner else default_avatar_url()
        else:
            title = chat.name
            avatar_url = group_avatar_url
        rows.append(
            ChatRow(
                chat_id=chat.pk,
                kind=chat.kind,
                title=title,
                avatar_url=avatar_url,
                preview=_preview(chat, viewer_id, remarks),
                # Microseconds always, so the text sorts as the time does.
                last_activity_iso=chat.last_activity.isoformat(timespec="microseconds"),
                unread_count=membership.unread_count,
                muted=membership.muted,
                pinned=membership.pinned,
                version=membership.user.live_version,
            )
        )
    return rows


def _preview(chat: Chat, viewer_id: int, remarks: dict[tuple[int, int], str]) -> str:
    message = chat.last_message
    if message is None:
        return ""
    text = " ".join(message.body.split())[:100]
    if message.kind == Message.Kind.SYSTEM:
        return text
    if message.sender_id == viewer_id:
        return f"You: {text}"
    if chat.kind == Chat.Kind.GROUP:
        return f"{_name(message.sender, viewer_id, remarks)}: {text}"
    return text


def memberships_for_rows() -> QuerySet[Membership]:
    # The member's live_version comes in the same query as the row's data,
    # so the version a row carries never claims more than the row shows.
    return Membership.objects.select_related("chat__last_message__sender", "user")


def members_for_rows(chat: Chat) -> list[Membership]:
    """Every membership of ``chat``, ready for ``membership_rows``, in one
    query. ``chat`` must come with ``last_message__sender`` selected; the
    memberships share it instead of each reading a copy (for a chat of 200
    that was 800 model objects more per message)."""
    memberships = list(Membership.objects.filter(chat=chat).select_related("user"))
    for membership in memberships:
        membership.chat = chat
    return memberships


def chat_list(user: User) -> list[ChatRow]:
    """The user's chat list: pinned first, then by last activity (C1)."""
    memberships = list(
        memberships_for_rows()
        .filter(user=user)
        .order_by("-pinned", "-chat__last_activity", "-chat_id")
    )
    return membership_rows(memberships)


def unread_totals(user_ids: Iterable[int]) -> dict[int, LiveCount]:
    """Each user's unread total (C1, M9), in one query."""
    rows = (
        User.objects.filter(pk__in=list(user_ids))
        .annotate(
            count=Sum("memberships__unread_count", filter=Q(memberships__muted=False))
        )
        .values_list("pk", "count", "live_version")
    )
    return {user_id: LiveCount(count or 0, version) for user_id, count, version in rows}


def message_items(
    viewer: User, messages: Iterable[Message], prev_id: int = 0
) -> list[MessageItem]:
    """Pair messages with how ``viewer`` sees them, in one query for remarks.

    The messages must be consecutive in their chat, oldest first, with
    ``sender`` selected; ``prev_id`` is the id of the message before the
    first of them.
    """
    messages = list(messages)
    sender_ids = list({m.sender_id for m in messages if m.sender_id})
    remarks = remarks_for([viewer.pk], sender_ids)
    items = []
    for message in messages:
        items.append(message_item(message, viewer.pk, remarks, prev_id))
        prev_id = message.pk
    return items


def message_variant(
    message: Message, viewer_id: int, remarks: dict[tuple[int, int], str]
) -> tuple[bool, str]:
    """What makes ``viewer_id``'s copy of a message differ from another
    member's: whether it is their own, and the name they know the sender by."""
    sender = message.sender
    return sender is not None and sender.pk == viewer_id, _name(
        sender, viewer_id, remarks
    )


def message_item(
    message: Message,
    viewer_id: int,
    remarks: dict[tuple[int, int], str],
    prev_id: int,
) -> MessageItem:
    sender = message.sender
    is_own, sender_name = message_variant(message, viewer_id, remarks)
    return MessageItem(
        message=message,
        is_own=is_own,
        sender_name=sender_name,
        sender_avatar_url=sender.avatar_url if sender else default_avatar_url(),
        prev_id=prev_id,
    )


def cursor(items: list[MessageItem]) -> int:
    """The cursor of a list showing ``items``, a run of consecutive messages
    that reaches the newest: its last message's id (0 for none)."""
    return items[-1].message.pk if items else 0


def previous_message_id(chat_id: int, message_id: int) -> int:
    """The id of the chat's last message before ``message_id``, or 0."""
    earlier = Message.objects.filter(chat_id=chat_id, pk__lt=message_id)
    return earlier.order_by("-pk").values_list("pk", flat=True).first() or 0


def latest_messages(chat_id: int) -> tuple[list[Message], int]:
    """The newest page of a chat's history, oldest first (M7), and the id of
    the message before it (0 if the page starts the chat)."""
    page = settings.NOVA_HISTORY_PAGE_SIZE
    newest = Message.objects.filter(chat_id=chat_id).select_related("sender")
    # One more than a page: the extra one only names the page's predecessor.
    found = list(newest.order_by("-pk")[: page + 1])
    prev_id = found[page].pk if len(found) > page else 0
    return list(reversed(found[:page])), prev_id


@dataclass(frozen=True)
class CatchUp:
    """What a tab may have missed; see ``catch_up``."""

    chat_rows: list[ChatRow]
    chat_id: int | None
    items: list[MessageItem]
    # True when the tab missed more than a page: ``items`` is then the
    # newest page, to replace what the tab shows rather than extend it.
    reset: bool
    unread_total: LiveCount
    incoming_count: LiveCount


def catch_up(user: User, membership: Membership | None, after_id: int) -> CatchUp:
    """What a tab needs after its socket (re)opens or it sees a gap (L3).

    ``after_id`` is the tab's cursor in the open chat (the membership's):
    the newest message up to which it has missed nothing. The messages
    after it come oldest first; past ``NOVA_CATCH_UP_LIMIT`` of them, the
    newest page comes instead, to replace the tab's list.
    """
    items: list[MessageItem] = []
    reset = False
    if membership is not None:
        limit = settings.NOVA_CATCH_UP_LIMIT
        missed = list(
            Message.objects.filter(chat_id=membership.chat_id, pk__gt=after_id)
            .select_related("sender")
            .order_by("pk")[: limit + 1]
        )
        if len(missed) > limit:
            reset = True
            items = message_items(user, *latest_messages(membership.chat_id))
        elif missed:
            prev_id = previous_message_id(membership.chat_id, missed[0].pk)
            items = message_items(user, missed, prev_id)
    return CatchUp(
        chat_rows=chat_list(user),
        chat_id=membership.chat_id if membership else None,
        items=items,
        reset=reset,
        unread_total=unread_totals([user.pk])[user.pk],
        incoming_count=incoming_request_counts([user.pk])[user.pk],
    )
