"""Read-only queries that build what chat pages and live events show.

Every function here reads in a fixed number of queries, whatever the
number of chats, members or messages it is given.
"""

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.live import LiveCount
from accounts.models import User, default_avatar_url
from chat.models import (
    Chat,
    ChatAnnouncement,
    ChatInvitation,
    HiddenMessage,
    Membership,
    Message,
)
from social.models import Friendship
from social.queries import incoming_request_counts, remarks_for

DELETED_USER = "Deleted user"
# How long a quote's excerpt of its original may be, in characters.
QUOTE_LENGTH = 80


@dataclass(frozen=True)
class ChatRow:
    """One chat as one member sees it in their chat list (C1)."""

    chat_id: int
    kind: str
    title: str
    avatar_url: str
    # The other member of a private chat: whose avatar, card and name
    # (``.name-of-<id>``, renamed live by a remark) the row shows; None in
    # a group.
    partner_id: int | None
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
class ReadState:
    """Who has read one of the viewer's own messages (M3).

    In a private chat, whether the friend has; in a group, how many other
    members have (``readers``), the list of them on demand.
    """

    is_group: bool
    readers: int

    @property
    def version(self) -> int:
        # Read marks only move forward, so a state with more readers is
        # the newer one; nova.js never lets an older one replace it.
        return self.readers


@dataclass(frozen=True)
class Quote:
    """What a reply shows of the message it answers (M5)."""

    message_id: int
    sender_name: str
    # The start of the original's text; empty once it is recalled or
    # removed, when ``status`` says which.
    excerpt: str
    status: str

    @property
    def text(self) -> str:
        if self.status == Message.Status.SHOWN:
            return self.excerpt
        return withdrawn_quote_text(self.status)


def withdrawn_quote_text(status: str) -> str:
    """What a quote of a recalled or removed message says instead (M6)."""
    if status == Message.Status.RECALLED:
        return "This message was recalled."
    return "This message was removed."


@dataclass(frozen=True)
class MessageItem:
    """One message as one viewer sees it (M3).

    ``prev_id`` is the id of the chat's message just before this one (0 for
    the first). A tab that shows message ``prev_id`` and receives this one
    knows it missed nothing in between (L3). A message the viewer deleted
    for themself (``hidden``) stays in the list as an empty placeholder,
    so that chain is never broken.
    """

    message: Message
    is_own: bool
    sender_name: str
    sender_avatar_url: str
    prev_id: int
    hidden: bool = False
    read_state: ReadState | None = None
    quote: Quote | None = None

    @property
    def variant(self) -> tuple[object, ...]:
        """What tells apart how members see this message: members with the
        same variant get the same fragment (L5)."""
        return (self.is_own, self.sender_name, self.hidden, self.read_state, self.quote)

    @property
    def withdrawn_line(self) -> str:
        return withdrawn_line(self.message, self.is_own, self.sender_name)


Remarks = dict[tuple[int, int], str]
Nicknames = dict[tuple[int, int], str]


def display_name(
    user: User | None,
    viewer_id: int,
    remarks: Remarks,
    nicknames: Nicknames | None = None,
    chat_id: int | None = None,
) -> str:
    """The name ``viewer_id`` sees for ``user`` (S5, C8): the viewer's own
    remark for a friend, else the user's nickname in this group, else
    their username.

    ``remarks`` maps (viewer, user) and ``nicknames`` (chat, user), as
    ``remarks_for`` and ``nicknames_for`` return them.
    """
    if user is None:
        return DELETED_USER
    remark = remarks.get((viewer_id, user.pk))
    if remark:
        return remark
    if nicknames and chat_id is not None:
        nickname = nicknames.get((chat_id, user.pk))
        if nickname:
            return nickname
    return user.username


def nicknames_for(chat_ids: Iterable[int], user_ids: Iterable[int]) -> Nicknames:
    """Map ``(chat_id, user_id)`` to the user's nickname in that group, for
    those who set one; one query (none when there is nothing to ask)."""
    chat_ids, user_ids = list(chat_ids), list(user_ids)
    if not chat_ids or not user_ids:
        return {}
    rows = (
        Membership.objects.filter(chat_id__in=chat_ids, user_id__in=user_ids)
        .exclude(nickname="")
        .values_list("chat_id", "user_id", "nickname")
    )
    return {(chat_id, user_id): nickname for chat_id, user_id, nickname in rows}


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
    # (Each query here is skipped when it has nothing to ask: even an
    # empty one costs building, and a live event runs this for every
    # member of a group.)
    if private_chat_ids:
        partners = Membership.objects.filter(chat_id__in=private_chat_ids)
        for other in partners.select_related("user"):
            members_by_chat[other.chat_id].append(other.user)

    viewer_ids = {m.user_id for m in memberships}
    named_ids = {user.pk for users in members_by_chat.values() for user in users}
    named_ids |= {
        m.chat.last_message.sender_id
        for m in memberships
        if m.chat.last_message and m.chat.last_message.sender_id
    }

    # A member's preview is the last message they can see: one they
    # deleted for themself gives way to the one before it (M6).
    fallback_ids = {_last_visible_id(m) for m in memberships} - {
        m.chat.last_message_id for m in memberships
    }
    last_visible: dict[int, Message] = {}
    if fallback_ids - {None}:
        fallbacks = Message.objects.filter(pk__in=fallback_ids - {None})
        last_visible = {m.pk: m for m in fallbacks.select_related("sender")}

    named_ids |= {m.sender_id for m in last_visible.values() if m.sender_id}
    remarks = remarks_for(list(viewer_ids), list(named_ids))
    previews = {m.pk: _preview_message(m, last_visible) for m in memberships}
    # Names in group previews may be group nicknames.
    group_senders = {
        (m.chat_id, message.sender_id)
        for m in memberships
        if m.chat.kind == Chat.Kind.GROUP
        and (message := previews[m.pk]) is not None
        and message.sender_id
    }
    # A live event brings every member of the chat, so the nicknames are
    # in hand; a chat list asks for those of the senders of its previews.
    nicknames = {(m.chat_id, m.user_id): m.nickname for m in memberships if m.nickname}
    known = {(m.chat_id, m.user_id) for m in memberships}
    missing = group_senders - known
    nicknames |= nicknames_for(
        {chat_id for chat_id, _ in missing}, {sender_id for _, sender_id in missing}
    )

    rows = []
    for membership in memberships:
        chat, viewer_id = membership.chat, membership.user_id
        if chat.kind == Chat.Kind.PRIVATE:
            partner = next(
                (u for u in members_by_chat[chat.pk] if u.pk != viewer_id), None
            )
            title = display_name(partner, viewer_id, remarks)
            avatar_url = partner.avatar_url if partner else default_avatar_url()
            partner_id = partner.pk if partner else None
        else:
            title = chat.name
            avatar_url = default_avatar_url()
            partner_id = None
        rows.append(
            ChatRow(
                chat_id=chat.pk,
                kind=chat.kind,
                title=title,
                avatar_url=avatar_url,
                partner_id=partner_id,
                preview=_preview(
                    chat, previews[membership.pk], viewer_id, remarks, nicknames
                ),
                # Microseconds always, so the text sorts as the time does.
                last_activity_iso=chat.last_activity.isoformat(timespec="microseconds"),
                unread_count=membership.unread_count,
                muted=membership.muted,
                pinned=membership.pinned,
                version=membership.user.live_version,
            )
        )
    return rows


def _last_visible_id(membership: Membership) -> int | None:
    # Annotated by memberships_for_rows.
    last_visible_id: int | None = getattr(membership, "last_visible_id", None)
    return last_visible_id


def _preview_message(
    membership: Membership, last_visible: dict[int, Message]
) -> Message | None:
    chat = membership.chat
    if chat.last_message_id == _last_visible_id(membership):
        return chat.last_message
    return last_visible.get(_last_visible_id(membership) or 0)


def _preview(
    chat: Chat,
    message: Message | None,
    viewer_id: int,
    remarks: Remarks,
    nicknames: Nicknames,
) -> str:
    if message is None:
        return ""
    if not message.is_shown:
        sender_name = display_name(
            message.sender, viewer_id, remarks, nicknames, chat.pk
        )
        return withdrawn_line(message, message.sender_id == viewer_id, sender_name)
    text = " ".join(message.body.split())[:100]
    if message.kind == Message.Kind.SYSTEM:
        return text
    if message.sender_id == viewer_id:
        return f"You: {text}"
    if chat.kind == Chat.Kind.GROUP:
        name = display_name(message.sender, viewer_id, remarks, nicknames, chat.pk)
        return f"{name}: {text}"
    return text


def withdrawn_line(message: Message, is_own: bool, sender_name: str) -> str:
    """What shows in place of a recalled or removed message (M6)."""
    if message.status == Message.Status.RECALLED:
        who = "You" if is_own else sender_name
        return f"{who} recalled a message"
    if message.status == Message.Status.REMOVED_BY_MODERATOR:
        return "A message was removed by a moderator"
    return "A message was removed by an admin"


def memberships_for_rows() -> QuerySet[Membership]:
    """Memberships with what their chat-list rows show, ``last_visible_id``
    included: the newest message of the chat the member may see, one they
    neither deleted for themself nor cleared (the preview's)."""
    # The member's live_version comes in the same query as the row's data,
    # so the version a row carries never claims more than the row shows.
    return (
        _memberships_with_last_visible()
        .select_related("chat__last_message__sender", "user")
        .only(*_MEMBER_FIELDS, *(f"chat__{name}" for name in _CHAT_FIELDS))
    )


def chat_memberships_for_rows(
    chat_id: int, user_id: int | None = None
) -> list[Membership]:
    """The memberships of one chat (or of one of its members), as
    ``memberships_for_rows`` gives them, in two queries: a live event
    reads a row for every member, and building a copy of the chat and its
    last message for each cost more than all the rest (bench/README.md)."""
    selected = _memberships_with_last_visible().filter(chat_id=chat_id)
    if user_id is not None:
        selected = selected.filter(user_id=user_id)
    memberships = list(selected.select_related("user").only(*_MEMBER_FIELDS))
    # The chat is read after the members' versions, never before: a row
    # may then show more than its version claims, never less, and the
    # push of the newer change, with its newer version, follows anyway.
    chat = (
        Chat.objects.select_related("last_message__sender")
        .only(*_CHAT_FIELDS)
        .filter(pk=chat_id)
        .first()
    )
    if chat is None:
        return []
    for membership in memberships:
        membership.chat = chat
    return memberships


def _memberships_with_last_visible() -> QuerySet[Membership]:
    newest_visible = (
        Message.objects.filter(
            chat_id=OuterRef("chat_id"), pk__gt=OuterRef("cleared_before_id")
        )
        .filter(
            ~Exists(
                HiddenMessage.objects.filter(
                    message_id=OuterRef("pk"), user_id=OuterRef(OuterRef("user_id"))
                )
            )
        )
        .order_by("-pk")
        .values("pk")[:1]
    )
    return Membership.objects.annotate(last_visible_id=Subquery(newest_visible))


# What a chat-list row shows, and no more: building the joined models'
# other fields (passwords, e-mail addresses, ...) for every member of a
# group cost more than the query itself (bench/README.md).
_MEMBER_FIELDS = (
    *(field.name for field in Membership._meta.concrete_fields),
    "user__username",
    "user__avatar",
    "user__live_version",
)
_CHAT_FIELDS = (
    "kind",
    "name",
    "last_activity",
    "last_message__kind",
    "last_message__body",
    "last_message__status",
    "last_message__sender__username",
    "last_message__sender__avatar",
)


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
    """Pair messages with how ``viewer`` sees them (M3, M5, M6).

    The messages must be consecutive in one chat, oldest first, with
    ``sender`` selected; ``prev_id`` is the id of the message before the
    first of them. At most five queries, however many messages: the
    originals they quote, remarks, group nicknames, read marks, and what
    the viewer hid.
    """
    messages = list(messages)
    if not messages:
        return []
    chat_id = messages[0].chat_id
    originals = _originals(messages)
    sender_ids = {m.sender_id for m in messages if m.sender_id}
    sender_ids |= {m.sender_id for m in originals.values() if m.sender_id}
    # Nobody has a remark for themself: the viewer's own messages, such
    # as the one they just sent, need no query for them.
    remarks = remarks_for([viewer.pk], list(sender_ids - {viewer.pk}))
    nicknames = nicknames_for([chat_id], sender_ids)
    marks = read_marks(chat_id)
    hidden = set(
        HiddenMessage.objects.filter(
            user=viewer, message_id__in=[m.pk for m in messages]
        ).values_list("message_id", flat=True)
    )

    items = []
    for message in messages:
        items.append(
            message_item(
                message,
                viewer.pk,
                remarks,
                prev_id,
                nicknames,
                marks=marks,
                original=originals.get(message.reply_to_id or 0),
                hidden=message.pk in hidden,
            )
        )
        prev_id = message.pk
    return items


def _originals(messages: list[Message]) -> dict[int, Message]:
    ids = {m.reply_to_id for m in messages if m.reply_to_id}
    if not ids:
        return {}
    found = Message.objects.filter(pk__in=ids).select_related("sender")
    return {message.pk: message for message in found}


@dataclass(frozen=True)
class ReadMarks:
    """How far each member of a chat has read: enough to tell, for any
    message, who has read it (M3). Read from the members' read marks, so
    there is no row per message and reader to keep."""

    is_group: bool
    last_read: dict[int, int]

    @classmethod
    def of(cls, memberships: list[Membership]) -> "ReadMarks":
        """The marks of a chat's memberships, read with their chat."""
        is_group = bool(memberships) and memberships[0].chat.kind == Chat.Kind.GROUP
        return cls(is_group, {m.user_id: m.last_read_message_id for m in memberships})

    def state(self, message: Message) -> ReadState:
        readers = sum(
            1
            for user_id, read_to in self.last_read.items()
            if user_id != message.sender_id and read_to >= message.pk
        )
        return ReadState(is_group=self.is_group, readers=readers)


def read_marks(chat_id: int) -> ReadMarks:
    """Every member's read mark in the chat, in one query."""
    rows = list(
        Membership.objects.filter(chat_id=chat_id).values_list(
            "user_id", "last_read_message_id", "chat__kind"
        )
    )
    is_group = bool(rows) and rows[0][2] == Chat.Kind.GROUP
    return ReadMarks(is_group, {user_id: read_to for user_id, read_to, _ in rows})


@dataclass(frozen=True)
class Reader:
    user_id: int
    name: str
    avatar_url: str


def readers(viewer: User, message: Message) -> list[Reader]:
    """The other members who have read ``message``, as ``viewer`` names
    them, in two queries (M3)."""
    memberships = list(
        Membership.objects.filter(
            chat_id=message.chat_id, last_read_message_id__gte=message.pk
        )
        .exclude(user_id=message.sender_id or 0)
        .select_related("user")
    )
    remarks = remarks_for([viewer.pk], [m.user_id for m in memberships])
    nicknames = {(m.chat_id, m.user_id): m.nickname for m in memberships}
    found = [
        Reader(
            m.user_id,
            display_name(m.user, viewer.pk, remarks, nicknames, m.chat_id),
            m.user.avatar_url,
        )
        for m in memberships
    ]
    return sorted(found, key=lambda reader: reader.name.casefold())


def message_item(
    message: Message,
    viewer_id: int,
    remarks: Remarks,
    prev_id: int,
    nicknames: Nicknames | None = None,
    *,
    marks: ReadMarks | None = None,
    original: Message | None = None,
    hidden: bool = False,
) -> MessageItem:
    """How ``viewer_id`` sees ``message``. ``nicknames`` (of the group's
    members), ``marks`` (to show the read state of the viewer's own
    messages) and ``original`` (the message it replies to, with ``sender``
    selected) come from the caller's queries."""
    sender = message.sender
    is_own = sender is not None and sender.pk == viewer_id
    shown_text = message.kind == Message.Kind.TEXT and message.is_shown
    quote = None
    if original is not None and shown_text:
        quote = Quote(
            message_id=original.pk,
            sender_name=display_name(
                original.sender, viewer_id, remarks, nicknames, message.chat_id
            ),
            excerpt=quote_excerpt(original),
            status=original.status,
        )
    return MessageItem(
        message=message,
        is_own=is_own,
        sender_name=display_name(
            sender, viewer_id, remarks, nicknames, message.chat_id
        ),
        sender_avatar_url=sender.avatar_url if sender else default_avatar_url(),
        prev_id=prev_id,
        hidden=hidden,
        read_state=marks.state(message) if marks and is_own and shown_text else None,
        quote=quote,
    )


def reply_quote(viewer: User, chat_id: int, message_id: int | None) -> Quote | None:
    """The quote the send form shows while the viewer writes a reply to
    ``message_id``, or None when there is no such message to answer."""
    if message_id is None:
        return None
    original = (
        Message.objects.filter(pk=message_id, chat_id=chat_id)
        .select_related("sender")
        .first()
    )
    if original is None or not original.accepts_replies:
        return None
    named = [original.sender_id] if original.sender_id else []
    remarks = remarks_for([viewer.pk], named)
    nicknames = nicknames_for([chat_id], named)
    return Quote(
        message_id=original.pk,
        sender_name=display_name(
            original.sender, viewer.pk, remarks, nicknames, chat_id
        ),
        excerpt=quote_excerpt(original),
        status=original.status,
    )


def quote_excerpt(message: Message) -> str:
    """The start of a message's text, on one line, as a quote shows it."""
    if not message.is_shown:
        return ""
    text = " ".join(message.body.split())
    return text if len(text) <= QUOTE_LENGTH else text[: QUOTE_LENGTH - 1] + "…"


def cursor(items: list[MessageItem]) -> int:
    """The cursor of a list showing ``items``, a run of consecutive messages
    that reaches the newest: its last message's id (0 for none)."""
    return items[-1].message.pk if items else 0


def previous_message_id(chat_id: int, message_id: int) -> int:
    """The id of the chat's last message before ``message_id``, or 0."""
    earlier = Message.objects.filter(chat_id=chat_id, pk__lt=message_id)
    return earlier.order_by("-pk").values_list("pk", flat=True).first() or 0


def history(membership: Membership, after: int = 0) -> QuerySet[Message]:
    """Every message of the member's chat that the member may see, with
    its sender: the one base of history pages, windows, permalinks, search
    and catch-ups (M7, M8). What they cleared (C8) is gone for them.

    With ``after``, only the messages after that id. Ask here rather than
    filter again: given two lower bounds on the id, SQLite may walk the
    chat's index from the lower one, the whole chat for a member who never
    cleared it (48 ms at a million messages, bench/README.md)."""
    return Message.objects.filter(
        chat_id=membership.chat_id,
        pk__gt=max(membership.cleared_before_id, after),
    ).select_related("sender")


@dataclass(frozen=True)
class HistoryPage:
    """A run of consecutive messages of one chat as a viewer sees them,
    oldest first (M7, M8).

    ``older_than`` is the id to ask for older messages with (the first
    item's), or None when the run starts the chat; ``newer_than`` likewise
    for newer ones, None when the run reaches the newest message, and only
    then is the list live. ``focus_id`` names the message the page was
    opened at, if any.
    """

    items: list[MessageItem]
    older_than: int | None
    newer_than: int | None
    focus_id: int | None = None

    @property
    def at_newest(self) -> bool:
        return self.newer_than is None

    @property
    def last_id(self) -> int:
        return self.items[-1].message.pk if self.items else 0


def history_page(
    viewer: User,
    membership: Membership,
    *,
    before: int | None = None,
    after: int | None = None,
    around: int | None = None,
) -> HistoryPage:
    """A page of the member's chat in a fixed number of queries, however
    long the chat: the newest page; the page just before (older than) or
    just after a message id; or a window around a message, which it then
    focuses.

    Pages are cut on the message id (keyset), never by OFFSET, so messages
    with the same timestamp keep one order, the id's. Each part of a page
    asks for one message more than it shows, and that one only says
    whether there is more (and names the first shown message's
    predecessor).
    """
    size = settings.NOVA_HISTORY_PAGE_SIZE
    messages = history(membership)
    # What the member cleared (C8) starts their history: the first message
    # after it names the clearing point as its predecessor, which is exact
    # (clearing records the newest message id of its moment), and nothing
    # older is offered.
    floor = membership.cleared_before_id
    if after is not None:
        shown, newer = _first(history(membership, after), size)
        prev_id = previous_message_id(membership.chat_id, shown[0].pk) if shown else 0
    elif around is not None:
        half = max(size // 2, 1)
        shown, prev_id = _last(messages.filter(pk__lte=around), half, floor)
        later, newer = _first(history(membership, around), size - half)
        shown += later
    else:
        older = messages if before is None else messages.filter(pk__lt=before)
        shown, prev_id = _last(older, size, floor)
        # Only a page cut off by ``before`` may have newer messages.
        newer = before is not None and history(membership, before - 1).exists()

    # An empty page before ``before`` still leads on to ``before`` itself.
    last_id = shown[-1].pk if shown else (before or 1) - 1
    return HistoryPage(
        items=message_items(viewer, shown, prev_id),
        older_than=shown[0].pk if shown and prev_id > floor else None,
        newer_than=last_id if newer else None,
        focus_id=around,
    )


def _first(messages: QuerySet[Message], count: int) -> tuple[list[Message], bool]:
    """The ``count`` oldest of ``messages``, and whether more follow."""
    found = list(messages.order_by("pk")[: count + 1])
    return found[:count], len(found) > count


def _last(
    messages: QuerySet[Message], count: int, floor: int = 0
) -> tuple[list[Message], int]:
    """The ``count`` newest of ``messages``, oldest first, and the id of
    the one before them (``floor`` if they start what the member sees)."""
    found = list(messages.order_by("-pk")[: count + 1])
    prev_id = found[count].pk if len(found) > count else floor
    return found[:count][::-1], prev_id


def first_unread_id(membership: Membership) -> int | None:
    """The member's first unread message (M7): the first after their read
    mark that someone else sent, system lines aside as in the count."""
    if not membership.unread_count:
        return None
    return (
        history(membership, membership.last_read_message_id)
        .filter(kind=Message.Kind.TEXT)
        .exclude(sender_id=membership.user_id)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def first_message_on_or_after(membership: Membership, moment: datetime) -> int | None:
    """The id of the first message the member sees at or after ``moment``
    (M8, a chat at a date). Here the time decides, not the id: the day's
    first message is the one written first that day."""
    return (
        history(membership)
        .filter(created__gte=moment)
        .order_by("created", "pk")
        .values_list("pk", flat=True)
        .first()
    )


@dataclass(frozen=True)
class CatchUp:
    """What a tab may have missed; see ``catch_up``."""

    chat_rows: list[ChatRow]
    chat_id: int | None
    items: list[MessageItem]
    # True when the tab missed more than a page: ``items`` is then the
    # newest page, to replace what the tab shows rather than extend it,
    # and ``older_than`` is then that page's.
    reset: bool
    older_than: int | None
    unread_total: LiveCount
    incoming_count: LiveCount
    invitation_box: "InvitationBox"
    # The open chat's group panel, if it is a group (C4).
    panel: "GroupPanel | None"
    # Messages the tab already shows whose look may have changed while
    # it was away: read by more, recalled, removed, deleted for the user.
    refreshed: tuple[MessageItem, ...] = ()


def catch_up(user: User, membership: Membership | None, after_id: int) -> CatchUp:
    """What a tab needs after its socket (re)opens or it sees a gap (L3).

    ``after_id`` is the tab's cursor in the open chat (the membership's):
    the newest message up to which it has missed nothing. The messages
    after it come oldest first; past ``NOVA_CATCH_UP_LIMIT`` of them, the
    newest page comes instead, to replace the tab's list.
    """
    items: list[MessageItem] = []
    refreshed: list[MessageItem] = []
    reset = False
    older_than = None
    if membership is not None:
        limit = settings.NOVA_CATCH_UP_LIMIT
        missed = list(history(membership, after_id).order_by("pk")[: limit + 1])
        if len(missed) > limit:
            reset = True
            page = history_page(user, membership)
            items, older_than = page.items, page.older_than
        elif missed:
            prev_id = previous_message_id(membership.chat_id, missed[0].pk)
            items = message_items(user, missed, prev_id)
        if not reset and after_id:
            refreshed = _refreshed_items(user, membership, after_id)
    return CatchUp(
        chat_rows=chat_list(user),
        chat_id=membership.chat_id if membership else None,
        items=items,
        reset=reset,
        older_than=older_than,
        unread_total=unread_totals([user.pk])[user.pk],
        incoming_count=incoming_request_counts([user.pk])[user.pk],
        invitation_box=invitation_boxes([user.pk])[user.pk],
        panel=group_panels(membership.chat_id, [user.pk]).get(user.pk)
        if membership is not None and membership.chat.kind == Chat.Kind.GROUP
        else None,
        refreshed=tuple(refreshed),
    )


def _refreshed_items(
    user: User, membership: Membership, up_to_id: int
) -> list[MessageItem]:
    """Of the newest page up to ``up_to_id`` (what a tab at that cursor
    shows, unless it scrolled further back), the messages whose look may
    have changed since it was drawn (M3, M6), in seven queries."""
    size = settings.NOVA_HISTORY_PAGE_SIZE
    found = list(
        history(membership).filter(pk__lte=up_to_id).order_by("-pk")[: size + 1]
    )
    prev_id = found[size].pk if len(found) > size else membership.cleared_before_id
    return [
        item
        for item in message_items(user, reversed(found[:size]), prev_id)
        if item.hidden or not item.message.is_shown or item.read_state is not None
    ]


def chat_title(membership: Membership) -> str:
    """The chat's name as the member sees it: a group's name, or the other
    person's name (their remark, if the member gave one)."""
    chat = membership.chat
    if chat.kind == Chat.Kind.GROUP:
        return chat.name
    other = (
        Membership.objects.filter(chat_id=chat.pk)
        .exclude(user_id=membership.user_id)
        .select_related("user")
        .first()
    )
    if other is None:
        return DELETED_USER
    remarks = remarks_for([membership.user_id], [other.user_id])
    return display_name(other.user, membership.user_id, remarks)


def sender_choices(membership: Membership) -> list[tuple[int, str]]:
    """The chat's members as the member names them, to filter by (M8)."""
    members = list(
        Membership.objects.filter(chat_id=membership.chat_id)
        .select_related("user")
        .order_by("user__username")
    )
    viewer_id = membership.user_id
    remarks = remarks_for([viewer_id], [m.user_id for m in members])
    nicknames = {(m.chat_id, m.user_id): m.nickname for m in members}
    return [
        (m.user_id, display_name(m.user, viewer_id, remarks, nicknames, m.chat_id))
        for m in members
    ]


@dataclass(frozen=True)
class SearchPage:
    """Messages that match a search, newest first (M8). ``older_than`` is
    the id to ask for the next page with, None on the last page."""

    items: list[MessageItem]
    older_than: int | None


def search_history(
    viewer: User,
    membership: Membership,
    *,
    words: list[str],
    sender_ids: list[int],
    since: datetime | None,
    until: datetime | None,
    before: int | None,
) -> SearchPage:
    """The member's messages that contain every word, whatever its case,
    from any of the senders (any, if none given), sent in [since, until):
    a page at a time, newest first, cut on the id (keyset).

    Words match with a case-insensitive regular expression of the escaped
    word, not ``icontains``: SQLite's LIKE folds the case of ASCII letters
    only, while its REGEXP (Python's ``re``) and PostgreSQL's ``~*`` fold
    every script, so both databases find the same messages.
    """
    size = settings.NOVA_HISTORY_PAGE_SIZE
    # Recalled and removed messages have no text to find; one the viewer
    # deleted for themself is not theirs to find again (M6).
    found = (
        history(membership)
        .filter(kind=Message.Kind.TEXT, status=Message.Status.SHOWN)
        .exclude(hidden_for__user=viewer)
    )
    for word in words:
        found = found.filter(body__iregex=re.escape(word))
    if sender_ids:
        found = found.filter(sender_id__in=sender_ids)
    if since is not None:
        found = found.filter(created__gte=since)
    if until is not None:
        found = found.filter(created__lt=until)
    if before is not None:
        found = found.filter(pk__lt=before)

    hits = list(found.order_by("-pk")[: size + 1])
    shown = hits[:size]
    sender_ids_shown = list({m.sender_id for m in shown if m.sender_id})
    remarks = remarks_for([viewer.pk], sender_ids_shown)
    nicknames = nicknames_for([membership.chat_id], sender_ids_shown)
    # A hit stands alone: it names no predecessor (it joins no live list).
    items = [
        message_item(message, viewer.pk, remarks, 0, nicknames) for message in shown
    ]
    return SearchPage(
        items=items, older_than=shown[-1].pk if len(hits) > size else None
    )


# Groups (C3-C8).

_ROLE_ORDER = {
    Membership.Role.OWNER: 0,
    Membership.Role.ADMIN: 1,
    Membership.Role.MEMBER: 2,
}


@dataclass(frozen=True)
class MemberEntry:
    """One member of a group as one viewer sees them in the group panel."""

    user_id: int
    username: str
    name: str
    nickname: str
    avatar_url: str
    role: str
    is_viewer: bool

    @property
    def role_label(self) -> str:
        return Membership.Role(self.role).label


@dataclass(frozen=True)
class AnnouncementItem:
    announcement_id: int
    author_name: str
    body: str
    created_iso: str


@dataclass(frozen=True)
class InvitationItem:
    """A group invitation as the viewer sees it, with what they may do."""

    invitation_id: int
    chat_id: int | None
    group_name: str
    invitee_name: str
    inviter_name: str
    decided_by_name: str
    state: str
    state_label: str
    is_open: bool
    viewer_is_invitee: bool
    can_answer: bool
    can_decide: bool
    can_cancel: bool


@dataclass(frozen=True)
class GroupPanel:
    """The group info panel (C4) as one member sees it: what every member
    sees, and the controls their role allows (C5)."""

    chat_id: int
    name: str
    viewer_id: int
    viewer_role: str
    members: tuple[MemberEntry, ...]
    announcements: tuple[AnnouncementItem, ...]
    invitations: tuple[InvitationItem, ...]
    awaiting_count: int
    # The viewer's friends who are not in the group: whom they may invite.
    invitable: tuple[tuple[int, str], ...]
    version: int

    @property
    def is_owner(self) -> bool:
        return self.viewer_role == Membership.Role.OWNER

    @property
    def is_manager(self) -> bool:
        return self.viewer_role in (Membership.Role.OWNER, Membership.Role.ADMIN)

    @property
    def others(self) -> tuple[MemberEntry, ...]:
        return tuple(m for m in self.members if not m.is_viewer)


def group_panels(
    chat_id: int, viewer_ids: Iterable[int] | None = None
) -> dict[int, GroupPanel]:
    """The group panel of each viewer (every member when ``viewer_ids`` is
    None), in six queries whatever the number of members or viewers."""
    memberships = list(
        Membership.objects.filter(chat_id=chat_id).select_related("chat", "user")
    )
    if not memberships:
        return {}
    chat = memberships[0].chat
    memberships.sort(key=lambda m: (_ROLE_ORDER[Membership.Role(m.role)], m.joined))
    member_ids = [m.user_id for m in memberships]
    wanted = set(member_ids if viewer_ids is None else viewer_ids) & set(member_ids)
    announcements = list(
        ChatAnnouncement.objects.filter(chat_id=chat_id)
        .select_related("author")
        .order_by("-pk")
    )
    invitations = list(
        ChatInvitation.objects.filter(
            chat_id=chat_id, state__in=ChatInvitation.OPEN_STATES
        )
        .exclude(state=ChatInvitation.State.PENDING, created__lt=_expired_before())
        .select_related("inviter", "invitee", "decided_by")
        .order_by("pk")
    )
    named_ids = set(member_ids)
    named_ids |= {a.author_id for a in announcements if a.author_id}
    for invitation in invitations:
        named_ids |= {invitation.invitee_id}
        if invitation.inviter_id:
            named_ids.add(invitation.inviter_id)
    remarks = remarks_for(list(wanted), list(named_ids))
    nicknames = {(chat_id, m.user_id): m.nickname for m in memberships if m.nickname}
    invitable: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for friendship in (
        Friendship.objects.filter(user_id__in=wanted, friend__is_active=True)
        .exclude(friend_id__in=member_ids)
        .select_related("friend")
        .order_by(Lower("friend__username"))
    ):
        invitable[friendship.user_id].append(
            (friendship.friend_id, friendship.remark or friendship.friend.username)
        )

    panels = {}
    for viewer in memberships:
        if viewer.user_id not in wanted:
            continue
        viewer_id = viewer.user_id

        def name(user: User | None, viewer_id: int = viewer_id) -> str:
            return display_name(user, viewer_id, remarks, nicknames, chat_id)

        manager = viewer.role in (Membership.Role.OWNER, Membership.Role.ADMIN)
        panels[viewer_id] = GroupPanel(
            chat_id=chat_id,
            name=chat.name,
            viewer_id=viewer_id,
            viewer_role=viewer.role,
            members=tuple(
                MemberEntry(
                    user_id=m.user_id,
                    username=m.user.username,
                    name=name(m.user),
                    nickname=m.nickname,
                    avatar_url=m.user.avatar_url,
                    role=m.role,
                    is_viewer=m.user_id == viewer_id,
                )
                for m in memberships
            ),
            announcements=tuple(
                AnnouncementItem(
                    announcement_id=a.pk,
                    author_name=name(a.author),
                    body=a.body,
                    created_iso=a.created.isoformat(),
                )
                for a in announcements
            ),
            invitations=tuple(
                _invitation_item(i, viewer_id, name, manager) for i in invitations
            ),
            awaiting_count=sum(
                i.state == ChatInvitation.State.AWAITING_APPROVAL for i in invitations
            )
            if manager
            else 0,
            invitable=tuple(invitable[viewer_id]),
            version=viewer.user.live_version,
        )
    return panels


def _invitation_item(
    invitation: ChatInvitation,
    viewer_id: int,
    name: Callable[[User | None], str],
    manager: bool,
) -> InvitationItem:
    state = ChatInvitation.State(invitation.state)
    is_open = invitation.is_open
    return InvitationItem(
        invitation_id=invitation.pk,
        chat_id=invitation.chat_id,
        group_name=invitation.chat.name if invitation.chat else invitation.group_name,
        invitee_name=name(invitation.invitee),
        inviter_name=name(invitation.inviter),
        decided_by_name=name(invitation.decided_by) if invitation.decided_by else "",
        state=state,
        state_label=state.label,
        is_open=is_open,
        viewer_is_invitee=invitation.invitee_id == viewer_id,
        can_answer=state == ChatInvitation.State.PENDING
        and invitation.invitee_id == viewer_id,
        can_decide=state == ChatInvitation.State.AWAITING_APPROVAL and manager,
        can_cancel=is_open and invitation.inviter_id == viewer_id,
    )


@dataclass(frozen=True)
class InvitationBox:
    """A user's invitations to groups and from them (C6): open ones and
    those closed in the last ``NOVA_INVITATION_RECENT_DAYS``."""

    received: tuple[InvitationItem, ...]
    sent: tuple[InvitationItem, ...]
    version: int


def invitation_boxes(user_ids: Iterable[int]) -> dict[int, InvitationBox]:
    """The invitation box of each user, in three queries."""
    user_ids = list(user_ids)
    since = timezone.now() - timedelta(days=settings.NOVA_INVITATION_RECENT_DAYS)
    invitations = list(
        ChatInvitation.objects.filter(
            Q(invitee_id__in=user_ids) | Q(inviter_id__in=user_ids)
        )
        .filter(
            Q(state__in=ChatInvitation.OPEN_STATES) | Q(updated__gte=since),
        )
        .exclude(state=ChatInvitation.State.PENDING, created__lt=_expired_before())
        .select_related("chat", "inviter", "invitee", "decided_by")
        .order_by("-updated", "-pk")
    )
    named_ids = {i.invitee_id for i in invitations}
    named_ids |= {i.inviter_id for i in invitations if i.inviter_id}
    named_ids |= {i.decided_by_id for i in invitations if i.decided_by_id}
    remarks = remarks_for(user_ids, list(named_ids))
    versions = dict(
        User.objects.filter(pk__in=user_ids).values_list("pk", "live_version")
    )
    boxes = {}
    for user_id in user_ids:

        def name(user: User | None, viewer_id: int = user_id) -> str:
            return display_name(user, viewer_id, remarks)

        received = [i for i in invitations if i.invitee_id == user_id]
        sent = [i for i in invitations if i.inviter_id == user_id]
        boxes[user_id] = InvitationBox(
            received=tuple(_invitation_item(i, user_id, name, False) for i in received),
            sent=tuple(_invitation_item(i, user_id, name, False) for i in sent),
            version=versions.get(user_id, 0),
        )
    return boxes


def _expired_before() -> datetime:
    # An unanswered invitation older than this has expired (chat.access).
    return timezone.now() - timedelta(days=settings.NOVA_INVITATION_DAYS)
