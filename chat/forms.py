"""Chat forms."""

import unicodedata
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.conf import settings
from django.db.models.functions import Lower

from accounts.models import User
from social.models import Friendship


class MessageForm(forms.Form):
    """Send a message (M1, M2).

    ``client_token`` is minted when the form is drawn and travels with the
    post, so posting the same form twice is recognised as one message.
    """

    body = forms.CharField(
        label="Message",
        strip=True,
        # The template draws the textarea itself (chat.html#send_form).
        widget=forms.Textarea,
        error_messages={"required": "Write something before sending."},
    )
    client_token = forms.UUIDField(widget=forms.HiddenInput)
    # The message this one answers (M5); the template draws the field.
    reply_to = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"client_token": uuid.uuid4()})
        super().__init__(*args, **kwargs)

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        if not any(_visible(char) for char in body):
            raise forms.ValidationError("Write something before sending.")
        limit = settings.NOVA_MESSAGE_MAX_LENGTH
        if len(body) > limit:
            raise forms.ValidationError(
                f"A message can be at most {limit:,} characters; "
                f"this one has {len(body):,}."
            )
        return body


# Ids are 64-bit in every database we run on; a larger number is no id
# and must not reach the database (SQLite raises on it).
MAX_ID = 2**63 - 1

# Letters that render as blank space although Unicode calls them letters.
_BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0"}


def _visible(char: str) -> bool:
    """Whether a character shows: not a space, control, format character
    (zero-width joiners, direction marks) or a blank filler letter."""
    return (
        unicodedata.category(char) not in {"Zs", "Zl", "Zp", "Cc", "Cf"}
        and char not in _BLANK_LETTERS
    )


class GroupNameField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            label="Group name",
            max_length=60,
            strip=True,
            error_messages={
                "required": "Give the group a name.",
                "max_length": "A group name can be at most 60 characters.",
            },
            **kwargs,
        )

    def clean(self, value: Any) -> str:
        name: str = super().clean(value)
        if name and not any(_visible(char) for char in name):
            raise forms.ValidationError("A group name needs a visible character.")
        return name


class FriendsField(forms.ModelMultipleChoiceField):
    """Friends picked by id; a value that is no id is refused before the
    database sees it."""

    def clean(self, value: Any) -> Any:
        for pk in value or []:
            if not str(pk).isdigit() or int(pk) > MAX_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super().clean(value)


class GroupForm(forms.Form):
    """Create a group (C3): a name and at least one of your friends."""

    name = GroupNameField()
    friends = FriendsField(
        label="Friends to add",
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={
            "required": "Pick at least one friend.",
            "invalid_choice": "Only your friends can be added.",
            "invalid_pk_value": "Only your friends can be added.",
        },
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        friend_ids = Friendship.objects.filter(user=user).values("friend_id")
        field = self.fields["friends"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = User.objects.filter(
            pk__in=friend_ids, is_active=True
        ).order_by(Lower("username"))


class RenameForm(forms.Form):
    name = GroupNameField()


class AnnouncementForm(forms.Form):
    body = forms.CharField(
        label="Announcement",
        max_length=2000,
        strip=True,
        widget=forms.Textarea,
        error_messages={
            "required": "Write the announcement first.",
            "max_length": "An announcement can be at most 2,000 characters.",
        },
    )


class InviteForm(forms.Form):
    invitee = forms.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        error_messages={"required": "Pick a friend to invite."},
    )


class LeaveForm(forms.Form):
    # The owner names the member who takes the group over (C7).
    successor = forms.IntegerField(min_value=1, max_value=MAX_ID, required=False)


class MemberSettingsForm(forms.Form):
    """A member's own settings of a chat (C8)."""

    muted = forms.BooleanField(label="Mute", required=False)
    pinned = forms.BooleanField(label="Pin to the top", required=False)
    nickname = forms.CharField(
        label="Your nickname in this group",
        max_length=32,
        required=False,
        strip=True,
        error_messages={"max_length": "A nickname can be at most 32 characters."},
    )


class TimeZoneField(forms.CharField):
    """An IANA time zone name, as the browser reports it; the server's zone
    when left out (no JavaScript)."""

    def clean(self, value: Any) -> ZoneInfo:
        name = super().clean(value)
        if not name:
            return ZoneInfo(settings.TIME_ZONE)
        try:
            return ZoneInfo(name)
        except (ValueError, ZoneInfoNotFoundError):
            raise forms.ValidationError(f"Unknown time zone: {name}.") from None


class DayField(forms.DateField):
    """A day as YYYY-MM-DD, between the years 1900 and 9000, so that its
    start and end in any time zone are moments a database can store."""

    widget = forms.DateInput(attrs={"type": "date"})
    input_formats = ["%Y-%m-%d"]
    default_error_messages = {"invalid": "Give the date as YYYY-MM-DD."}

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and not date(1900, 1, 1) <= value <= date(9000, 12, 31):
            raise forms.ValidationError("Pick a date between 1900 and 9000.")


class HistoryForm(forms.Form):
    """Where to open a chat's history (M7, M8): the page before or after a
    message id, or the first message of a day. At most one of them."""

    before = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    # After 0: from the chat's first message.
    after = forms.IntegerField(required=False, min_value=0, max_value=MAX_ID)
    date = DayField(required=False)
    tz = TimeZoneField(required=False, max_length=64)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = [key for key in ("before", "after", "date") if data.get(key)]
        if len(chosen) > 1:
            raise forms.ValidationError(
                "Open history at one place: before, after or a date."
            )
        return data

    def day_start(self) -> datetime | None:
        """The start of the asked day in the viewer's zone, if one was asked."""
        day = self.cleaned_data.get("date")
        if day is None:
            return None
        return datetime.combine(day, time.min, tzinfo=self.cleaned_data["tz"])


class SearchForm(forms.Form):
    """Filter a chat's history by words, senders and dates (M8), newest
    first, a page at a time from ``before``."""

    q = forms.CharField(label="Words", required=False, max_length=200, strip=True)
    sender = forms.TypedMultipleChoiceField(
        label="From", required=False, coerce=int, choices=()
    )
    since = DayField(label="From date", required=False)
    until = DayField(label="To date", required=False)
    before = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )
    tz = TimeZoneField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: Any, senders: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["sender"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = senders

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError("The start date is after the end date.")
        return data

    @property
    def words(self) -> list[str]:
        text: str = self.cleaned_data.get("q") or ""
        return text.split()

    def has_filter(self) -> bool:
        data = self.cleaned_data
        return bool(
            self.words or data.get("sender") or data.get("since") or data.get("until")
        )

    def time_range(self) -> tuple[datetime | None, datetime | None]:
        """The searched days as a half-open range of moments, in the
        viewer's zone: from the start of ``since`` to the end of ``until``."""
        zone = self.cleaned_data["tz"]
        since, until = self.cleaned_data.get("since"), self.cleaned_data.get("until")
        start = datetime.combine(since, time.min, tzinfo=zone) if since else None
        end = (
            datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
            if until
            else None
        )
        return start, end
