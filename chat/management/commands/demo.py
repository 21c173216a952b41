"""``manage.py demo``: fill a fresh database with demo data (O6)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chat.demo import DEMO_PASSWORD, PEOPLE, DemoRefused, load_demo


class Command(BaseCommand):
    help = (
        "Fill a fresh database with a dozen demo people, their friendships, "
        "two group chats and a few hundred messages. Refuses to touch a "
        "database with accounts of real people."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = load_demo()
        except DemoRefused as refusal:
            raise CommandError(str(refusal)) from None

        if summary is None:
            self.stdout.write("The demo data is already here; nothing to do.")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo loaded: {summary.users} people, {summary.friendships} "
                    f"friendships, {summary.groups} group chats, "
                    f"{summary.messages} messages."
                )
            )
        self.stdout.write(
            f"Log in as any of {', '.join(PEOPLE)} with the password "
            f"{DEMO_PASSWORD!r} (for example: {PEOPLE[0]} / {DEMO_PASSWORD})."
        )
