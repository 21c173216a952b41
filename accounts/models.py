"""Users of Nova."""

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.templatetags.static import static

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]{3,32}$"

username_validator = RegexValidator(
    USERNAME_PATTERN,
    "Use 3 to 32 characters: letters, digits, underscore, hyphen or dot.",
)


class NovaUserManager(UserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> "User":
        # Usernames are unique regardless of case, so logging in is too.
        return self.get(username__iexact=username)


class User(AbstractUser):
    """A person using Nova.

    Usernames are unique regardless of case (a constraint on ``Lower``), so
    ``Alice`` and ``alice`` can never both exist. The avatar is a file under
    ``MEDIA_ROOT/avatars/`` with a fresh name each time it changes, so it can
    be cached forever by browsers.
    """

    username = models.CharField(
        "username",
        max_length=32,
        unique=True,
        validators=[username_validator],
        help_text="3 to 32 characters: letters, digits, _ - or .",
        error_messages={"unique": "That username is taken."},
    )
    email = models.EmailField("email address", blank=True)
    phone = models.CharField("phone", max_length=16, blank=True)
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    # Counts changes to what this user's pages show live (chat-list rows,
    # the unread total). Every action that changes them bumps it in its
    # transaction, and every push carries the value read with its data, so
    # a tab never lets an older update replace a newer one.
    live_version = models.PositiveBigIntegerField(default=0, editable=False)

    objects: ClassVar[NovaUserManager] = NovaUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="accounts_user_username_ci_unique",
                violation_error_message="That username is taken.",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def avatar_url(self) -> str:
        if self.avatar:
            return str(self.avatar.url)
        # Accounts made outside the sign-up form (createsuperuser) have none.
        return default_avatar_url()


def default_avatar_url() -> str:
    """The avatar of anything without one: a group, a deleted sender."""
    return static("nova/default-avatar.png")
