"""The profile page: username, email and phone, password, avatar, sessions
(PRODUCT.md A3, A4)."""

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import SkipFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from accounts.avatars import MAX_UPLOAD_BYTES
from accounts.models import User, UserSession
from accounts.uploads import AvatarUploadHandler
from tests.conftest import PASSWORD

NEW_PASSWORD = "a brand new secret 9041"
WRONG_PASSWORD = "That is not your current password."


def form_errors(response, form: str, field: str) -> list[str]:  # type: ignore[no-untyped-def]
    return list(response.context[form].errors.get(field, []))


def is_logged_in(client: Client) -> bool:
    return client.get(reverse("chat:index")).status_code == 200


def png_bytes(size: tuple[int, int] = (64, 48), colour: str = "teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


# The profile page


def test_profile_page_shows_the_users_own_details(
    make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    alice = make_user("alice", email="alice@example.com", phone="+4915112345678")

    page = client_for(alice).get(reverse("accounts:profile"))

    assert page.status_code == 200
    content = page.content.decode()
    assert 'value="alice@example.com"' in content
    assert 'value="+4915112345678"' in content
    assert f'data-avatar-of="{alice.pk}"' in content


def test_profile_page_needs_a_log_in(db: None) -> None:
    response = Client().get(reverse("accounts:profile"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


# Username


def test_username_can_be_changed(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)

    response = client.post(reverse("accounts:change_username"), {"username": "ally"})

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.username == "ally"
    assert is_logged_in(client)


def test_username_may_change_only_its_case(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)

    client.post(reverse("accounts:change_username"), {"username": "Alice"})

    alice.refresh_from_db()
    assert alice.username == "Alice"


@pytest.mark.parametrize(
    ("username", "error"),
    [
        ("BOB", "That username is taken."),
        ("al", "Use 3 to 32 characters: letters, digits, underscore, hyphen or dot."),
        (
            "al ice",
            "Use 3 to 32 characters: letters, digits, underscore, hyphen or dot.",
        ),
        ("deleted_user", "That name is reserved for Nova itself; choose another."),
        ("System", "That name is reserved for Nova itself; choose another."),
    ],
)
def test_new_username_follows_the_sign_up_rules(
    alice: User,
    bob: User,
    client_for: Callable[[User], Client],
    username: str,
    error: str,
) -> None:
    client = client_for(alice)

    response = client.post(reverse("accounts:change_username"), {"username": username})

    assert response.status_code == 400
    assert form_errors(response, "username_form", "username") == [error]
    alice.refresh_from_db()
    assert alice.username == "alice"


# Email and phone


def test_email_and_phone_change_with_the_current_password(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)

    response = client.post(
        reverse("accounts:change_contact"),
        {
            "email": "alice@example.com",
            "phone": "+12025550123",
            "current_password": PASSWORD,
        },
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.email, alice.phone) == ("alice@example.com", "+12025550123")


def test_wrong_current_password_changes_no_email_or_phone(
    make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    alice = make_user("alice", email="alice@example.com", phone="1234567")
    client = client_for(alice)

    response = client.post(
        reverse("accounts:change_contact"),
        {"email": "new@example.com", "phone": "7654321", "current_password": "guess"},
    )

    assert response.status_code == 400
    assert form_errors(response, "contact_form", "current_password") == [WRONG_PASSWORD]
    alice.refresh_from_db()
    assert (alice.email, alice.phone) == ("alice@example.com", "1234567")


def test_email_of_another_account_is_refused_whatever_its_case(
    make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    make_user("bob", email="bob@example.com")
    alice = make_user("alice")
    client = client_for(alice)

    response = client.post(
        reverse("accounts:change_contact"),
        {"email": "BOB@example.com", "phone": "", "current_password": PASSWORD},
    )

    assert response.status_code == 400
    assert form_errors(response, "contact_form", "email") == [
        "That email address belongs to another account."
    ]
    alice.refresh_from_db()
    assert alice.email == ""


@pytest.mark.parametrize(("email", "phone"), [("alice@", ""), ("", "12-34")])
def test_invalid_email_or_phone_is_refused_on_its_field(
    alice: User, client_for: Callable[[User], Client], email: str, phone: str
) -> None:
    client = client_for(alice)

    response = client.post(
        reverse("accounts:change_contact"),
        {"email": email, "phone": phone, "current_password": PASSWORD},
    )

    assert response.status_code == 400
    field = "email" if email else "phone"
    assert form_errors(response, "contact_form", field)
    alice.refresh_from_db()
    assert (alice.email, alice.phone) == ("", "")


# Password and sessions (A4)


def test_password_change_keeps_this_session_and_ends_every_other(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    here, elsewhere = client_for(alice), client_for(alice)
    bob_session = client_for(User.objects.create_user("bob", password=PASSWORD))

    response = here.post(
        reverse("accounts:change_password"),
        {
            "current_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert is_logged_in(here)
    assert not is_logged_in(elsewhere)
    assert is_logged_in(bob_session)
    keys = set(UserSession.objects.filter(user=alice).values_list("pk", flat=True))
    assert keys == {here.session.session_key}
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_password_change_gives_this_session_a_new_key(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)
    old_key = client.session.session_key

    client.post(
        reverse("accounts:change_password"),
        {
            "current_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert client.session.session_key != old_key
    assert not UserSession.objects.filter(pk=old_key).exists()


def test_wrong_current_password_changes_no_password(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    here, elsewhere = client_for(alice), client_for(alice)

    response = here.post(
        reverse("accounts:change_password"),
        {
            "current_password": "not it",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 400
    assert form_errors(response, "password_form", "current_password") == [
        WRONG_PASSWORD
    ]
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert is_logged_in(here)
    assert is_logged_in(elsewhere)


@pytest.mark.parametrize(
    ("new1", "new2", "code"),
    [
        ("short1!", "short1!", "password_too_short"),
        ("password123", "password123", "password_too_common"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "password_mismatch"),
    ],
)
def test_new_password_must_pass_the_validators(
    alice: User, client_for: Callable[[User], Client], new1: str, new2: str, code: str
) -> None:
    client = client_for(alice)

    response = client.post(
        reverse("accounts:change_password"),
        {"current_password": PASSWORD, "new_password1": new1, "new_password2": new2},
    )

    assert response.status_code == 400
    codes = [
        e.code
        for e in response.context["password_form"].errors.as_data()["new_password2"]
    ]
    assert code in codes
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_log_out_everywhere_ends_every_session_of_the_user_only(
    alice: User, bob: User, client_for: Callable[[User], Client]
) -> None:
    here, elsewhere, bobs = client_for(alice), client_for(alice), client_for(bob)

    response = here.post(reverse("accounts:logout_everywhere"))

    assert response.status_code == 302
    assert response.url == reverse("accounts:login")
    assert not is_logged_in(here)
    assert not is_logged_in(elsewhere)
    assert is_logged_in(bobs)
    assert not UserSession.objects.filter(user=alice).exists()


def test_log_out_everywhere_by_get_is_refused(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)

    response = client.get(reverse("accounts:logout_everywhere"))

    assert response.status_code == 405
    assert is_logged_in(client)


def test_sessions_record_their_user_and_anonymous_ones_none(alice: User) -> None:
    anonymous = Client()
    anonymous.get(reverse("accounts:login"))
    anonymous.post(reverse("accounts:login"), {"username": "x", "password": "y"})
    signed_in = Client()

    signed_in.post(
        reverse("accounts:login"), {"username": "alice", "password": PASSWORD}
    )

    session = UserSession.objects.get(pk=signed_in.session.session_key)
    assert session.user_id == alice.pk
    assert not UserSession.objects.filter(user__isnull=False).exclude(user=alice)


# Strangers (A3)


def test_profile_forms_change_only_the_signed_in_user_whatever_ids_they_carry(
    make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    alice = make_user("alice")
    bob = make_user("bob", email="bob@example.com")
    bob_avatar = bob.avatar.name
    client = client_for(alice)
    ids = {"id": bob.pk, "pk": bob.pk, "user": bob.pk, "user_id": bob.pk}

    client.post(reverse("accounts:change_username"), {**ids, "username": "bobby"})
    client.post(
        reverse("accounts:change_contact"),
        {**ids, "email": "x@example.com", "phone": "", "current_password": PASSWORD},
    )
    client.post(reverse("accounts:regenerate_avatar"), ids)

    bob.refresh_from_db()
    alice.refresh_from_db()
    assert (bob.username, bob.email, bob.avatar.name) == (
        "bob",
        "bob@example.com",
        bob_avatar,
    )
    assert (alice.username, alice.email) == ("bobby", "x@example.com")


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/profile/{id}/",
        "/accounts/profile/{id}/avatar/",
        "/accounts/profile/avatar/{id}/",
        "/accounts/{id}/profile/",
    ],
)
def test_no_profile_url_takes_a_user_id(
    alice: User, bob: User, client_for: Callable[[User], Client], path: str
) -> None:
    client = client_for(alice)

    response = client.post(path.format(id=bob.pk), {"username": "taken-over"})

    assert response.status_code == 404
    bob.refresh_from_db()
    assert bob.username == "bob"


@pytest.mark.parametrize(
    "name",
    [
        "accounts:change_username",
        "accounts:change_contact",
        "accounts:change_password",
        "accounts:upload_avatar",
        "accounts:regenerate_avatar",
        "accounts:logout_everywhere",
    ],
)
def test_anonymous_visitor_changes_nothing(alice: User, name: str) -> None:
    avatar = alice.avatar.name

    response = Client().post(reverse(name), {"username": "nobody"})

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    alice.refresh_from_db()
    assert (alice.username, alice.avatar.name) == ("alice", avatar)


def test_avatar_upload_still_checks_the_csrf_token(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(
        reverse("accounts:upload_avatar"),
        {"avatar": upload("a.png", png_bytes(), "image/png")},
    )

    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.avatar.name == ""


# Avatars (A3)


@pytest.fixture
def dora(client: Client, db: None) -> User:
    """A user signed up through the form, so with an identicon file."""
    client.post(
        reverse("accounts:register"),
        {"username": "dora", "password1": PASSWORD, "password2": PASSWORD},
    )
    return User.objects.get(username="dora")


def test_uploaded_avatar_becomes_a_256_pixel_square_webp_with_a_fresh_name(
    dora: User, client: Client, django_capture_on_commit_callbacks
) -> None:
    old_path = Path(dora.avatar.path)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:upload_avatar"),
            {"avatar": upload("holiday.png", png_bytes((800, 300)), "image/png")},
        )

    assert response.status_code == 302
    dora.refresh_from_db()
    assert dora.avatar.name.startswith("avatars/")
    assert dora.avatar.name.endswith(".webp")
    assert "holiday" not in dora.avatar.name
    with Image.open(dora.avatar.path) as image:
        assert image.format == "WEBP"
        assert image.size == (256, 256)
    assert not old_path.exists()


def test_uploaded_avatar_keeps_no_metadata(dora: User, client: Client) -> None:
    exif = Image.Exif()
    exif[0x010E] = "Taken at 51.5007 N, 0.1246 W"  # ImageDescription
    exif[0x8825] = {2: (51.0, 30.0, 2.0)}  # GPS latitude
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), "navy").save(
        buffer, format="JPEG", exif=exif, comment=b"secret note"
    )

    client.post(
        reverse("accounts:upload_avatar"),
        {"avatar": upload("me.jpg", buffer.getvalue(), "image/jpeg")},
    )

    dora.refresh_from_db()
    stored = Path(dora.avatar.path).read_bytes()
    assert b"51.5007" not in stored
    assert b"secret note" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif()
        assert not {"exif", "icc_profile", "xmp", "comment"} & set(image.info)


@pytest.mark.parametrize(
    ("name", "content_type", "save"),
    [
        ("pic.jpg", "image/jpeg", {"format": "JPEG"}),
        ("pic.gif", "image/gif", {"format": "GIF"}),
        ("pic.webp", "image/webp", {"format": "WEBP"}),
        ("pic.png", "image/png", {"format": "PNG"}),
    ],
)
def test_each_allowed_format_is_accepted(
    dora: User, client: Client, name: str, content_type: str, save: dict[str, str]
) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), "orange").save(buffer, **save)

    response = client.post(
        reverse("accounts:upload_avatar"),
        {"avatar": upload(name, buffer.getvalue(), content_type)},
    )

    assert response.status_code == 302
    dora.refresh_from_db()
    assert dora.avatar.name.endswith(".webp")


def _bomb_png(side: int) -> bytes:
    """A PNG of ``side`` x ``side`` black pixels (1 bit each): a few hundred
    kilobytes that would decode to ``side`` squared bytes and more."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    row = b"\0" * (1 + side // 8)
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row * 1000) for _ in range(side // 1000))
    data += packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", data)
        + chunk(b"IEND", b"")
    )


def _truncated_png() -> bytes:
    noise = Image.frombytes("RGB", (256, 256), bytes(range(256)) * 768)
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    whole = buffer.getvalue()
    return whole[: len(whole) // 2]


HOSTILE_UPLOADS = {
    "decompression bomb": (
        lambda: _bomb_png(20_000),
        "bomb.png",
        "image/png",
        "That image has far too many pixels; avatars can be at most 4096x4096.",
    ),
    "too many pixels": (
        lambda: png_bytes((5000, 10)),
        "wide.png",
        "image/png",
        "That image is 5000x10 pixels; avatars can be at most 4096x4096.",
    ),
    "truncated file": (
        _truncated_png,
        "cut.png",
        "image/png",
        "That image could not be read; it may be damaged or cut short.",
    ),
    "renamed text file": (
        lambda: b"Dear diary, this is not a picture.\n" * 40,
        "diary.png",
        "image/png",
        "That file is not a PNG, JPEG, GIF or WebP image.",
    ),
    "svg": (
        lambda: (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">'
            b"<script>alert(1)</script></svg>"
        ),
        "icon.svg",
        "image/svg+xml",
        "That file is not a PNG, JPEG, GIF or WebP image.",
    ),
    "30 MB file": (
        lambda: png_bytes() + b"\0" * (30 * 1024 * 1024),
        "huge.png",
        "image/png",
        "That image is larger than 5 MB.",
    ),
}


@pytest.mark.parametrize("case", HOSTILE_UPLOADS)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_hostile_upload_is_refused_with_a_message_and_the_old_avatar_kept(
    dora: User, client: Client, case: str, htmx: bool
) -> None:
    make, name, content_type, message = HOSTILE_UPLOADS[case]
    old_name = dora.avatar.name
    old_bytes = Path(dora.avatar.path).read_bytes()
    headers = {"HX-Request": "true"} if htmx else {}

    response = client.post(
        reverse("accounts:upload_avatar"),
        {"avatar": upload(name, make(), content_type)},
        headers=headers,
    )

    assert response.status_code == (422 if htmx else 400)
    assert form_errors(response, "avatar_form", "avatar") == [message]
    assert message in response.content.decode()
    dora.refresh_from_db()
    assert dora.avatar.name == old_name
    assert Path(dora.avatar.path).read_bytes() == old_bytes
    assert sorted(p.name for p in Path(dora.avatar.path).parent.iterdir()) == [
        Path(old_name).name
    ]


def test_upload_without_a_file_asks_for_one(dora: User, client: Client) -> None:
    response = client.post(reverse("accounts:upload_avatar"), {})

    assert response.status_code == 400
    assert form_errors(response, "avatar_form", "avatar") == [
        "Choose a picture to upload."
    ]


def test_upload_handler_holds_no_more_than_the_limit_in_memory() -> None:
    """The server's memory stays bounded: past the limit the handler lets
    go of what it read and refuses the rest, chunk by chunk."""
    handler = AvatarUploadHandler()
    handler.new_file("avatar", "huge.png", "image/png", None)
    chunk = b"\0" * (64 * 1024)
    held = []

    def feed_30_megabytes() -> None:
        for start in range(0, 30 * 1024 * 1024, len(chunk)):
            handler.receive_data_chunk(chunk, start)
            assert handler.buffer is not None
            held.append(handler.buffer.tell())

    with pytest.raises(SkipFile):
        feed_30_megabytes()

    assert max(held) <= MAX_UPLOAD_BYTES
    assert handler.too_large
    assert handler.buffer is not None
    assert handler.buffer.tell() == 0
    assert handler.file_complete(MAX_UPLOAD_BYTES + 1) is None


def test_upload_handler_keeps_one_avatar_file_only() -> None:
    handler = AvatarUploadHandler()
    handler.new_file("avatar", "a.png", "image/png", None)
    handler.receive_data_chunk(b"first", 0)
    first = handler.file_complete(5)

    with pytest.raises(SkipFile):
        handler.new_file("avatar", "b.png", "image/png", None)
    with pytest.raises(SkipFile):
        handler.new_file("something_else", "c.png", "image/png", None)

    assert first is not None
    assert first.read() == b"first"


def test_new_random_avatar_replaces_the_old_file(
    dora: User, client: Client, django_capture_on_commit_callbacks
) -> None:
    old_path = Path(dora.avatar.path)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:regenerate_avatar"))

    assert response.status_code == 302
    dora.refresh_from_db()
    assert Path(dora.avatar.path) != old_path
    assert Path(dora.avatar.path).is_file()
    assert not old_path.exists()


def test_htmx_avatar_change_answers_with_the_avatar_section(
    dora: User, client: Client
) -> None:
    response = client.post(
        reverse("accounts:regenerate_avatar"), headers={"HX-Request": "true"}
    )

    dora.refresh_from_db()
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<section id="avatar-section"')
    assert dora.avatar.url in content
    assert "Here is a new random picture." in content
