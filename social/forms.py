"""Social forms."""

from django import forms


class FriendRequestForm(forms.Form):
    """Send a friend request (S2) to the user with id ``receiver``."""

    receiver = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    note = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "Add a note (optional)"}),
        error_messages={"max_length": "Keep the note to 500 characters or fewer."},
    )
