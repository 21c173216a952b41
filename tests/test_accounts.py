"""Sign-up, log-in, log-out, throttling and generated avatars (A1, A2)."""

import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.db import IntegrityError
from django.db.models import F
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageOps

from accounts.actions import do_register
from accounts.avatars import AVATAR_SIZE, identicon_png
from accounts.models import User, UserSession
from tests.conftest import PASSWORD

GENERIC_LOGIN_ERROR = "That username and password do not match an account."
USERNAME_RULE = "Use 3 to 32 characters: letters, digits, underscore, hyphen or dot."
PHONE_RULE = "Enter 7 to 15 digits, optionally starting with +."


def sign_up(client: Client, **fields: str) -> HttpResponse:
    data = {
        "username": "dora",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "email": "",
        "phone": "",
    }
    return client.post(reverse("accounts:register"), data | fields)


def log_in(client: Client, username: str, password: str, **extra: str) -> HttpResponse:
    data = {"username": username, "password": password, **extra}
    return client.post(reverse("accounts:login"), data)


def error_codes(response: HttpResponse, field: str) -> list[str]:
    errors = response.context["form"].errors.as_data().get(field, [])
    return [error.code for error in errors]


def field_errors(response: HttpResponse, field: str) -> list[str]:
    return response.context["form"].errors.get(field, [])


def logged_in_user_id(client: Client) -> int | None:
    user_id = client.session.get(SESSION_KEY)
    return int(user_id) if user_id is not None else None


# Sign-up (A1)


@pytest.mark.django_db
def test_sign_up_creates_the_account_logs_in_and_lands_on_the_chat_page() -> None:
    client = Client()

    response = sign_up(client, email="dora@example.com", phone="+4915112345678")

    assert response.status_code == 302
    assert response.url == reverse("chat:index")
    user = User.objects.get(username="dora")
    assert user.email == "dora@example.com"
    assert user.phone == "+4915112345678"
    assert user.check_password(PASSWORD)
    assert logged_in_user_id(client) == user.pk
    assert client.get(response.url).status_code == 200


@pytest.mark.django_db
def test_email_and_phone_are_optional() -> None:
    client = Client()

    response = sign_up(client)

    assert response.status_code == 302
    user = User.objects.get(username="dora")
    assert (user.email, user.phone) == ("", "")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username", ["abc", "x" * 32, "Dora_the.explorer-2", "___", "1.2-3"]
)
def test_username_of_3_to_32_allowed_characters_is_accepted(username: str) -> None:
    client = Client()

    response = sign_up(client, username=username)

    assert response.status_code == 302
    assert User.objects.filter(username=username).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "error"),
    [
        ("ab", USERNAME_RULE),
        ("x" * 33, "Ensure this value has at most 32 characters (it has 33)."),
        ("dora explorer", USERNAME_RULE),
        ("dora@home", USERNAME_RULE),
        ("dora<b>", USERNAME_RULE),
        ("émile", USERNAME_RULE),
        # Fullwidth letters: they look like "dora" but are not ASCII.
        pytest.param("\uff44\uff4f\uff52\uff41", USERNAME_RULE, id="fullwidth"),
        ("dora/../x", USERNAME_RULE),
    ],
)
def test_username_outside_the_rules_is_refused_on_its_field(
    username: str, error: str
) -> None:
    client = Client()

    response = sign_up(client, username=username)

    assert response.status_code == 200
    assert field_errors(response, "username") == [error]
    assert not User.objects.exists()
    assert logged_in_user_id(client) is None


@pytest.mark.parametrize("taken", ["Alice", "ALICE", "alice"])
def test_username_is_unique_regardless_of_case(
    make_user: Callable[..., User], taken: str
) -> None:
    make_user(taken)
    client = Client()

    response = sign_up(client, username="alice")

    assert response.status_code == 200
    assert field_errors(response, "username") == ["That username is taken."]
    assert list(User.objects.values_list("username", flat=True)) == [taken]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("x7#Qp", "password_too_short"),
        ("password123", "password_too_common"),
        ("83917204651", "password_entirely_numeric"),
        ("dorathea-explorer", "password_too_similar"),
    ],
)
def test_password_must_pass_djangos_validators(password: str, code: str) -> None:
    client = Client()

    response = sign_up(
        client, username="dorathea-explorer", password1=password, password2=password
    )

    assert response.status_code == 200
    assert code in error_codes(response, "password2")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_passwords_must_match() -> None:
    client = Client()

    response = sign_up(client, password2=PASSWORD + "!")

    assert response.status_code == 200
    assert error_codes(response, "password2") == ["password_mismatch"]
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "email", ["dora", "dora@", "dora@@example.com", "@example.com"]
)
def test_invalid_email_is_refused_on_its_field(email: str) -> None:
    client = Client()

    response = sign_up(client, email=email)

    assert response.status_code == 200
    assert error_codes(response, "email") == ["invalid"]
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("phone", ["1234567", "+1234567", "+123456789012345"])
def test_phone_of_7_to_15_digits_with_optional_plus_is_accepted(phone: str) -> None:
    client = Client()

    response = sign_up(client, phone=phone)

    assert response.status_code == 302
    assert User.objects.get(username="dora").phone == phone


@pytest.mark.django_db
@pytest.mark.parametrize(
    "phone",
    [
        "123456",
        "+123456",
        "1234567890123456",
        "+1 555 0100 99",
        "+49-151-1234567",
        "++1234567",
        "call me",
    ],
)
def test_phone_outside_the_rules_is_refused_on_its_field(phone: str) -> None:
    client = Client()

    response = sign_up(client, phone=phone)

    assert response.status_code == 200
    assert field_errors(response, "phone") == [PHONE_RULE]
    assert not User.objects.exists()


@pytest.mark.django_db
def test_refused_sign_up_keeps_what_was_typed_except_passwords() -> None:
    client = Client()

    response = sign_up(client, email="dora@example.com", password2="other")

    content = response.content.decode()
    assert 'value="dora"' in content
    assert 'value="dora@example.com"' in content
    assert PASSWORD not in content


# Generated avatars (A1)


@pytest.mark.django_db
def test_new_user_gets_a_256_pixel_png_identicon() -> None:
    client = Client()

    sign_up(client)

    user = User.objects.get(username="dora")
    assert user.avatar.name.startswith("avatars/")
    with Image.open(user.avatar.path) as image:
        assert image.format == "PNG"
        assert image.size == (AVATAR_SIZE, AVATAR_SIZE) == (256, 256)
        image.load()


@pytest.mark.django_db
def test_each_new_user_gets_their_own_avatar_file() -> None:
    sign_up(Client(), username="dora")

    sign_up(Client(), username="diego")

    dora = User.objects.get(username="dora")
    diego = User.objects.get(username="diego")
    assert dora.avatar.name != diego.avatar.name
    assert Path(dora.avatar.path).read_bytes() != Path(diego.avatar.path).read_bytes()


@pytest.mark.django_db
def test_avatar_is_served_to_a_signed_in_user() -> None:
    client = Client()
    sign_up(client)
    user = User.objects.get(username="dora")

    response = client.get(user.avatar.url)

    assert user.avatar.url.startswith("/media/avatars/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    body = b"".join(response.streaming_content)
    assert body == Path(user.avatar.path).read_bytes()
    with Image.open(io.BytesIO(body)) as image:
        assert image.size == (256, 256)


@pytest.mark.django_db
def test_avatar_is_refused_to_an_anonymous_visitor() -> None:
    sign_up(Client())
    user = User.objects.get(username="dora")

    response = Client().get(user.avatar.url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login") + "?next=")


def test_missing_avatar_is_404(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)

    response = client.get("/media/avatars/0123456789abcdef.png")

    assert response.status_code == 404


@pytest.mark.parametrize("seed", ["alice", "bob", "0", "a-longer seed with spaces"])
def test_identicon_is_left_right_symmetric(seed: str) -> None:
    with Image.open(io.BytesIO(identicon_png(seed))) as image:
        pixels = image.convert("RGB")

    mirrored = ImageOps.mirror(pixels)

    assert pixels.tobytes() == mirrored.tobytes()


def test_identicon_is_the_same_for_the_same_seed() -> None:
    first = identicon_png("dora")

    second = identicon_png("dora")

    assert first == second


def test_identicons_of_different_seeds_differ() -> None:
    dora = identicon_png("dora")

    diego = identicon_png("diego")

    assert dora != diego


@pytest.mark.parametrize("seed", [str(number) for number in range(40)])
def test_identicon_is_never_blank(seed: str) -> None:
    with Image.open(io.BytesIO(identicon_png(seed))) as image:
        colours = image.convert("RGB").getcolors()

    assert colours is not None
    assert len(colours) == 2


# Log in and log out (A2)


def test_log_in_with_the_right_password(alice: User) -> None:
    client = Client()

    response = log_in(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("chat:index")
    assert logged_in_user_id(client) == alice.pk


@pytest.mark.parametrize("typed", ["ALICE", "Alice", "aLiCe"])
def test_log_in_ignores_the_case_of_the_username(
    make_user: Callable[..., User], typed: str
) -> None:
    alice = make_user("Alice")
    client = Client()

    response = log_in(client, typed, PASSWORD)

    assert response.status_code == 302
    assert logged_in_user_id(client) == alice.pk


def test_wrong_username_and_wrong_password_get_one_generic_error(alice: User) -> None:
    wrong_username = Client()
    wrong_password = Client()

    unknown = log_in(wrong_username, "alicia", PASSWORD)
    mistyped = log_in(wrong_password, "alice", PASSWORD + "!")

    assert unknown.status_code == mistyped.status_code == 200
    assert unknown.context["form"].non_field_errors() == [GENERIC_LOGIN_ERROR]
    assert mistyped.context["form"].non_field_errors() == [GENERIC_LOGIN_ERROR]
    assert GENERIC_LOGIN_ERROR in mistyped.content.decode()
    assert logged_in_user_id(wrong_username) is None
    assert logged_in_user_id(wrong_password) is None


def test_deactivated_user_cannot_log_in_and_gets_the_generic_error(
    alice: User,
) -> None:
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    client = Client()

    response = log_in(client, "alice", PASSWORD)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [GENERIC_LOGIN_ERROR]
    assert logged_in_user_id(client) is None


def test_log_out_by_get_is_refused_and_keeps_the_session(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)

    response = client.get(reverse("accounts:logout"))

    assert response.status_code == 405
    assert logged_in_user_id(client) == alice.pk
    assert client.get(reverse("chat:index")).status_code == 200


def test_log_out_ends_the_session(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)
    session_key = client.session.session_key

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response.url == reverse("accounts:login")
    assert not UserSession.objects.filter(session_key=session_key).exists()
    chat_page = client.get(reverse("chat:index"))
    assert chat_page.status_code == 302
    assert chat_page.url.startswith(reverse("accounts:login"))


def test_log_in_follows_a_same_host_next(alice: User) -> None:
    client = Client()

    response = log_in(client, "alice", PASSWORD, next="/friends/?q=bo")

    assert response.status_code == 302
    assert response.url == "/friends/?q=bo"


@pytest.mark.parametrize(
    "target",
    [
        "https://elsewhere.example/steal",
        "//elsewhere.example/steal",
        "http://testserver.elsewhere.example/",
        "/\\elsewhere.example/",
        "javascript:alert(1)",
    ],
)
def test_log_in_ignores_a_next_that_leaves_the_site(alice: User, target: str) -> None:
    client = Client()

    response = log_in(client, "alice", PASSWORD, next=target)

    assert response.status_code == 302
    assert response.url == reverse("chat:index")
    assert logged_in_user_id(client) == alice.pk


def test_login_page_keeps_a_same_host_next_for_the_form(db: None) -> None:
    client = Client()

    response = client.get(reverse("accounts:login"), {"next": "/friends/"})

    assert response.status_code == 200
    assert response.context["next"] == "/friends/"


def test_login_page_drops_an_external_next(db: None) -> None:
    client = Client()

    response = client.get(
        reverse("accounts:login"), {"next": "https://elsewhere.example/"}
    )

    assert response.status_code == 200
    assert "elsewhere.example" not in response.content.decode()
    assert response.context["next"] == reverse("chat:index")


@pytest.mark.parametrize("page", ["accounts:login", "accounts:register"])
def test_signed_in_user_visiting_login_or_sign_up_is_sent_to_the_chat_page(
    alice: User, client_for: Callable[[User], Client], page: str
) -> None:
    client = client_for(alice)

    response = client.get(reverse(page))

    assert response.status_code == 302
    assert response.url == reverse("chat:index")


def test_signed_in_user_posting_sign_up_makes_no_account(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)

    response = sign_up(client)

    assert response.status_code == 302
    assert not User.objects.filter(username="dora").exists()
    assert logged_in_user_id(client) == alice.pk


def test_anonymous_visitor_of_the_chat_page_is_sent_to_log_in(db: None) -> None:
    client = Client()

    response = client.get(reverse("chat:index"))

    assert response.status_code == 302
    assert response.url == reverse("accounts:login") + "?next=/chats/"


def test_lost_username_race_leaves_no_avatar_file(make_user, rf, settings) -> None:
    """Validation passed, then someone else took the name: no orphan file."""
    make_user("Taken")
    avatars = Path(settings.MEDIA_ROOT) / "avatars"

    with pytest.raises(IntegrityError):
        do_register(
            rf.post("/"), username="taken", password=PASSWORD, email="", phone=""
        )

    assert not avatars.exists() or not any(avatars.iterdir())


# Names Nova speaks as (A1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username",
    [
        "deleted-user",
        "Deleted_User",
        "deleted.user",
        "SYSTEM",
        "s.y.s.t.e.m",
        "nova",
        "admin",
        "Administrator",
        "moderator",
    ],
)
def test_reserved_name_cannot_be_taken_at_sign_up(username: str) -> None:
    client = Client()

    response = sign_up(client, username=username)

    assert response.status_code == 200
    assert field_errors(response, "username") == [
        "That name is reserved for Nova itself; choose another."
    ]
    assert not User.objects.exists()


@pytest.mark.parametrize("typed", ["system", "System", "deleted_user"])
def test_reserved_name_cannot_log_in_even_if_an_account_has_it(
    make_user: Callable[..., User], typed: str
) -> None:
    """An account made before the rule, or behind the forms' back."""
    make_user("system")
    make_user("deleted_user")
    client = Client()

    response = log_in(client, typed, PASSWORD)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [GENERIC_LOGIN_ERROR]
    assert logged_in_user_id(client) is None


@pytest.mark.parametrize("name", ["novak", "sysadmin2", "deleted-user-fan", "adm"])
def test_names_that_merely_contain_a_reserved_word_are_fine(name: str, db) -> None:
    response = sign_up(Client(), username=name)

    assert response.status_code == 302


# Email addresses are one account's (A1)


@pytest.mark.parametrize("typed", ["alice@example.com", "ALICE@Example.COM"])
def test_email_of_another_account_is_refused_at_sign_up(
    make_user: Callable[..., User], typed: str
) -> None:
    make_user("alice", email="alice@example.com")
    client = Client()

    response = sign_up(client, email=typed)

    assert response.status_code == 200
    assert field_errors(response, "email") == [
        "That email address belongs to another account."
    ]
    assert not User.objects.filter(username="dora").exists()


def test_many_accounts_may_have_no_email(make_user: Callable[..., User]) -> None:
    make_user("alice")
    make_user("bob")

    response = sign_up(Client(), email="")

    assert response.status_code == 302
    assert User.objects.filter(email="").count() == 3


def test_database_refuses_a_second_account_with_the_same_email(
    make_user: Callable[..., User],
) -> None:
    make_user("alice", email="alice@example.com")

    with pytest.raises(IntegrityError):
        make_user("bob", email="Alice@Example.com")


# Passwords are hashed with Argon2 (A2)


def test_production_settings_hash_new_passwords_with_argon2() -> None:
    """The suite swaps in a fast hasher; the real settings must not."""
    from nova_site import settings as production

    assert production.PASSWORD_HASHERS[0] == (
        "django.contrib.auth.hashers.Argon2PasswordHasher"
    )


@pytest.mark.django_db
def test_sign_up_under_the_production_hashers_stores_an_argon2_hash(
    settings,
) -> None:
    from nova_site import settings as production

    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    client = Client()

    sign_up(client)

    user = User.objects.get(username="dora")
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password(PASSWORD)


# Throttling failed log-ins (A2)

LOCKED_OUT = "Too many failed log-in attempts. Wait 15 minutes, then try again."


def fail_to_log_in(username: str, times: int, address: str = "127.0.0.1") -> None:
    for _ in range(times):
        response = Client(REMOTE_ADDR=address).post(
            reverse("accounts:login"), {"username": username, "password": "wrong"}
        )
        assert response.status_code in (200, 429)


def log_in_from(address: str, username: str, password: str) -> HttpResponse:
    return Client(REMOTE_ADDR=address).post(
        reverse("accounts:login"), {"username": username, "password": password}
    )


def test_four_failures_still_let_the_right_password_in(alice: User) -> None:
    fail_to_log_in("alice", 4)

    response = log_in_from("127.0.0.1", "alice", PASSWORD)

    assert response.status_code == 302


def test_after_five_failures_the_right_password_is_refused_with_a_message(
    alice: User, caplog
) -> None:
    fail_to_log_in("alice", 5)
    caplog.clear()

    response = log_in_from("127.0.0.1", "alice", PASSWORD)

    assert response.status_code == 429
    assert response.context["form"].non_field_errors() == [LOCKED_OUT]
    assert LOCKED_OUT in response.content.decode()
    assert 'name="username"' in response.content.decode()
    refusals = [r for r in caplog.records if "too many failures" in r.getMessage()]
    assert [r.getMessage() for r in refusals] == [
        f"log-in refused: too many failures user={alice.pk} address=127.0.0.1"
    ]
    assert PASSWORD not in caplog.text


def test_the_fifth_failure_already_says_to_wait(alice: User) -> None:
    fail_to_log_in("alice", 4)

    response = log_in_from("127.0.0.1", "alice", "wrong again")

    assert response.status_code == 429
    assert response.context["form"].non_field_errors() == [LOCKED_OUT]


def test_an_account_is_locked_whatever_address_the_tries_come_from(
    alice: User, bob: User
) -> None:
    for number in range(5):
        fail_to_log_in("alice", 1, address=f"10.0.0.{number + 1}")

    from_a_new_address = log_in_from("10.0.1.1", "alice", PASSWORD)
    other_account = log_in_from("10.0.0.1", "bob", PASSWORD)

    assert from_a_new_address.status_code == 429
    assert other_account.status_code == 302


def test_an_address_is_locked_whatever_accounts_it_tries(alice: User) -> None:
    for name in ["bob", "carol", "dave", "erin", "frank"]:
        fail_to_log_in(name, 1, address="10.0.0.9")

    same_address = log_in_from("10.0.0.9", "alice", PASSWORD)
    other_address = log_in_from("10.0.0.10", "alice", PASSWORD)

    assert same_address.status_code == 429
    assert other_address.status_code == 302


def test_failures_count_against_the_name_whatever_its_case(alice: User) -> None:
    for number, typed in enumerate(["Alice", "ALICE", "alice", "aLiCe", "alicE"]):
        fail_to_log_in(typed, 1, address=f"10.0.2.{number}")

    response = log_in_from("10.0.3.1", "alice", PASSWORD)

    assert response.status_code == 429


def test_a_success_forgets_the_accounts_failures(alice: User) -> None:
    fail_to_log_in("alice", 4)
    assert log_in_from("127.0.0.1", "alice", PASSWORD).status_code == 302

    fail_to_log_in("alice", 4)
    response = log_in_from("127.0.0.1", "alice", PASSWORD)

    assert response.status_code == 302


def test_a_success_on_ones_own_account_does_not_forget_guesses_at_others(
    make_user: Callable[..., User],
) -> None:
    """Logging in to one's own account between guesses must not reset the
    address's count."""
    make_user("mallory")
    for name in ["bob", "carol", "dave", "erin"]:
        fail_to_log_in(name, 1, address="10.0.0.66")
    assert log_in_from("10.0.0.66", "mallory", PASSWORD).status_code == 302

    fail_to_log_in("frank", 1, address="10.0.0.66")
    response = log_in_from("10.0.0.66", "mallory", PASSWORD)

    assert response.status_code == 429


def test_the_lock_ends_fifteen_minutes_after_the_last_failure(alice: User) -> None:
    fail_to_log_in("alice", 5)
    assert log_in_from("127.0.0.1", "alice", PASSWORD).status_code == 429

    AccessAttempt.objects.update(
        attempt_time=timezone.now() - timedelta(minutes=15, seconds=1)
    )
    response = log_in_from("127.0.0.1", "alice", PASSWORD)

    assert response.status_code == 302


def test_tries_while_locked_do_not_extend_the_lock(alice: User) -> None:
    fail_to_log_in("alice", 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
    fail_to_log_in("alice", 3)

    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - timedelta(minutes=1, seconds=1)
    )
    response = log_in_from("127.0.0.1", "alice", PASSWORD)

    assert response.status_code == 302


def test_wrong_current_passwords_on_the_profile_count_as_failed_log_ins(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)
    url = reverse("accounts:change_contact")
    data = {"email": "", "phone": "", "current_password": "guess"}
    for _ in range(5):
        client.post(url, data)

    response = client.post(url, {**data, "current_password": PASSWORD})

    assert response.status_code == 400
    assert response.context["contact_form"].errors["current_password"] == [LOCKED_OUT]
