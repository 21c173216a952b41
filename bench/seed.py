"""Fill the database of a bench server, outside the browser's paths.

Run with the server's environment (``DATABASE_URL`` or ``NOVA_DATA_DIR``)
so it writes where the server reads; each command prints JSON on stdout:

    python -m bench.seed fanout 10 50 200   # group chats of M members
    python -m bench.seed history 100 10000 1000000
    python -m bench.seed writers 50
    python -m bench.seed count-messages CHAT_ID...

Users get sessions made here rather than by logging in: hashing 200
passwords would only measure Argon2. Everything else (the chat page, the
send form, CSRF) the bench clients go through as a browser does.
"""

import json
import os
import sys
from collections.abc import Iterable
from datetime import timedelta
from importlib import import_module
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nova_site.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from chat.models import Chat, Membership, Message  # noqa: E402

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _users(prefix: str, count: int) -> list[User]:
    # Live versions differ from user to user, as they do after some use:
    # each member's chat row and badge then differ too.
    users = [
        User(username=f"{prefix}{index:04d}", live_version=index * 7 + 1)
        for index in range(count)
    ]
    for user in users:
        user.set_unusable_password()
    return User.objects.bulk_create(users)


def _session_key(user: User) -> str:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = BACKEND
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def _group(name: str, members: Iterable[User]) -> Chat:
    chat = Chat.objects.create(
        kind=Chat.Kind.GROUP, name=name, last_activity=timezone.now()
    )
    Membership.objects.bulk_create(
        Membership(
            chat=chat,
            user=user,
            role=Membership.Role.OWNER if index == 0 else Membership.Role.MEMBER,
            # Some have read more than others.
            unread_count=index % 13,
        )
        for index, user in enumerate(members)
    )
    return chat


def fanout(sizes: list[int]) -> dict[str, Any]:
    """One group chat per size, over the same users: the first ``max``."""
    with transaction.atomic():
        users = _users("fan", max(sizes))
        chats = {size: _group(f"Fan-out {size}", users[:size]) for size in sizes}
    return {
        "users": [{"id": u.pk, "session": _session_key(u)} for u in users],
        "chats": {str(size): chat.pk for size, chat in chats.items()},
    }


def _insert_messages(chat: Chat, sender: User, count: int) -> None:
    """Insert ``count`` text messages, oldest first, a second apart, with
    plain INSERTs in large batches (a million ORM objects would take
    minutes). Every column gets what the model would give it."""
    fields = [f for f in Message._meta.concrete_fields if not f.primary_key]
    start = timezone.now() - timedelta(seconds=count)
    template = Message(chat=chat, sender=sender, kind=Message.Kind.TEXT, body="")
    fixed = {
        f.column: f.get_db_prep_save(getattr(template, f.attname), connection)
        for f in fields
        if f.name not in {"body", "created"}
    }
    columns = [f.column for f in fields]
    created = Message._meta.get_field("created")
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        connection.ops.quote_name(Message._meta.db_table),
        ", ".join(connection.ops.quote_name(c) for c in columns),
        ", ".join(["%s"] * len(columns)),
    )
    batch = 20_000
    with connection.cursor() as cursor:
        for first in range(0, count, batch):
            rows = []
            for index in range(first, min(first + batch, count)):
                values = dict(fixed)
                values["body"] = f"History line {index} of {count}: some words to read."
                values["created"] = created.get_db_prep_save(
                    start + timedelta(seconds=index), connection
                )
                rows.append([values[c] for c in columns])
            cursor.executemany(sql, rows)
    last = Message.objects.filter(chat=chat).order_by("-pk").first()
    Chat.objects.filter(pk=chat.pk).update(
        last_message=last, last_activity=last.created if last else chat.created
    )
    Membership.objects.filter(chat=chat).update(
        last_read_message_id=last.pk if last else 0, unread_count=0
    )


def history(sizes: list[int]) -> dict[str, Any]:
    """One reader and one chat per size holding that many messages."""
    with transaction.atomic():
        reader, writer = _users("hist", 2)
        chats = {}
        for size in sizes:
            chat = _group(f"History {size}", [reader, writer])
            _insert_messages(chat, writer, size)
            chats[str(size)] = chat.pk
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"session": _session_key(reader), "chats": chats}


def writers(count: int) -> dict[str, Any]:
    """``count`` senders, each in a group chat with a silent partner."""
    with transaction.atomic():
        users = _users("writer", 2 * count)
        chats = [
            _group(f"Writers {index}", users[2 * index : 2 * index + 2])
            for index in range(count)
        ]
    return {
        "senders": [
            {"session": _session_key(users[2 * index]), "chat": chat.pk}
            for index, chat in enumerate(chats)
        ]
    }


def count_messages(chat_ids: list[int]) -> dict[str, Any]:
    counts = (
        Message.objects.filter(chat_id__in=chat_ids, kind=Message.Kind.TEXT)
        .values("chat_id")
        .annotate(n=Count("pk"))
    )
    return {"counts": {str(row["chat_id"]): row["n"] for row in counts}}


def main(argv: list[str]) -> None:
    command, numbers = argv[0], [int(arg) for arg in argv[1:]]
    result = {
        "fanout": lambda: fanout(numbers),
        "history": lambda: history(numbers),
        "writers": lambda: writers(numbers[0]),
        "count-messages": lambda: count_messages(numbers),
    }[command]()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
