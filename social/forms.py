"""Social forms."""

from django import forms


class FriendRequestForm(forms.Form):
    """Send a friend request (S2) to the user with id ``receiver``."""

    receiver = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1
    )
    note = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "Add a note (optional)"}),
        error_messages={"max_length": "Keep the note to 500 characters or fewer."},
    )


class FriendGroupForm(forms.Form):
    """Name a friend group (S4)."""

    name = forms.CharField(
        max_length=100,
        error_messages={
            "required": "Give the group a name.",
            "max_length": "Keep the group name to 100 characters or fewer.",
        },
    )


class MoveFriendForm(forms.Form):
    """Put a friend in a group; an empty ``group`` is the default group."""

    group = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class RemarkForm(forms.Form):
    """The viewer's name for a friend (S5); empty clears it."""

    remark = forms.CharField(
        required=False,
        max_length=64,
        error_messages={"max_length": "Keep the remark to 64 characters or fewer."},
    )
