"""Nova's settings, read from the environment (PRODUCT.md O2).

Embedded default: SQLite under ``data/`` and the in-memory channel layer, for
one daphne process. Scale-out: set ``DATABASE_URL`` (PostgreSQL) and
``REDIS_URL`` (channels-redis) and run as many daphne processes as you like.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("NOVA_DATA_DIR", BASE_DIR / "data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item]


def _secret_key() -> str:
    """Return SECRET_KEY, or the key generated on first start and kept in data/.

    Keeping it on disk means sessions survive a restart without anyone having
    to invent a key for a one-machine install.
    """
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # O_EXCL: two processes starting at once must agree on one key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG", False)
ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "crispy_forms",
    "crispy_bootstrap5",
    "template_partials",
    "axes",
    "accounts",
    "social",
    "chat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "nova_site.middleware.HtmxMessagesMiddleware",
    "nova_site.middleware.HtmxLoginRedirectMiddleware",
    "nova_site.middleware.RequestLogMiddleware",
]

ROOT_URLCONF = "nova_site.urls"
ASGI_APPLICATION = "nova_site.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "nova_site.context_processors.nav_counts",
            ],
        },
    },
]

# Databases. SQLite is tuned for many concurrent writers (O3): WAL lets
# readers run beside the writer, IMMEDIATE takes the write lock when a
# transaction starts (so two writers queue instead of one failing on lock
# upgrade), and the timeout makes the queue wait rather than error.
_SQLITE_URL = f"sqlite:///{DATA_DIR / 'nova.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _SQLITE_URL), conn_max_age=0
    )
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # Two test runs against one server must not drop each other's database.
    DATABASES["default"]["TEST"] = {
        "NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"
    }
else:
    # Django's backend, with the process's writers taking turns in Python
    # rather than sleeping in SQLite's busy handler (nova_site/sqlite3).
    DATABASES["default"]["ENGINE"] = "nova_site.sqlite3"
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000;"
        ),
    }
    # A file, not memory, so tests with threads share one database; named
    # per process so two test runs on one checkout do not meet.
    DATABASES["default"]["TEST"] = {
        "NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")
    }

# The channel layer carries each push from the process that made it to the
# processes holding the tabs (accounts.live: one group per user, one per
# session).
if redis_url := os.environ.get("REDIS_URL"):
    # Several processes: channels-redis's RedisChannelLayer. Its pub/sub
    # layer measured cheaper (bench/README.md, "Which Redis layer": 49
    # against 83-93 ms of CPU per message at 50 members) but is not used:
    # it keeps nothing in Redis, so a push published while a process's
    # subscription reconnects is lost with no gap a tab could notice; the
    # groups of a consumer killed without its disconnect() never expire;
    # and in the suite a cancelled consumer did not finish cancelling
    # (tests/test_presence.py). This layer keeps each push in Redis until
    # its tab's process takes it, or a minute passes.
    #
    # Capacity and expiry, so that a burst to a 200-member group loses
    # nothing: the layer keeps one queue per tab in Redis and drops what
    # does not fit. The benchmark's heaviest step sends 160 msg/s for 10 s,
    # 1,600 pushes to every tab, so a tab that stalls for the whole burst
    # needs room for 1,600: capacity 2,000. A push waits at most a minute
    # (expiry): a tab that has not read it by then has lost its socket and
    # catches up when it reconnects (L3). Every socket renews its groups
    # every NOVA_WS_RECHECK_SECONDS (300 s), so group_expiry can be three
    # times that: a process that died without leaving its groups stops
    # being sent to within 15 minutes instead of a day.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # Each socket waits on Redis with a blocking pop of a few
                # seconds; redis-py 8 times reads out after 5 s by default,
                # which tore every idle socket down (channels_redis#422).
                "hosts": [{"address": redis_url, "socket_timeout": None}],
                "prefix": os.environ.get("CHANNEL_PREFIX", "nova"),
                "capacity": 2000,
                "expiry": 60,
                "group_expiry": 900,
            },
        }
    }
else:
    # One process: Channels' in-memory layer, with a cheaper sweep of
    # expired entries (nova_site.layers). A tab's queue holds this many
    # pushes while the tab is busy; a tab that falls further behind loses
    # the rest, sees the gap and catches up (L3).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "nova_site.layers.NovaInMemoryChannelLayer",
            "CONFIG": {"capacity": 1000},
        }
    }

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2 hashes every new or changed password; PBKDF2 only verifies old
# hashes (and upgrades them on the next log-in).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# django-axes refuses log-ins first, then Django checks the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sessions know their user, so a user's other sessions can be ended (A4).
SESSION_ENGINE = "accounts.sessions"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "chat:index"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "nova_site.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Log-in throttling (A2): five failures within fifteen minutes lock the
# account, and separately the client address, for fifteen minutes from
# the last failure; tries while locked are refused without being counted.
# A success forgets that account's failures (accounts.throttle).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "accounts.throttle.username_of"
AXES_HANDLER = "accounts.throttle.LoginThrottleHandler"
AXES_DISABLE_ACCESS_LOG = True
# The log-in view turns a lockout into a message on its form itself
# (accounts.views.log_in), so axes' middleware, which would answer with a
# bare page instead, is not installed.
SILENCED_SYSTEM_CHECKS = ["axes.W002"]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Chat limits (PRODUCT.md M1, M7).
NOVA_MESSAGE_MAX_LENGTH = 4000
NOVA_HISTORY_PAGE_SIZE = 50
# A group invitation nobody answers in this many days expires (C6), and
# the invitation box shows closed invitations for this many days.
NOVA_INVITATION_DAYS = 14
NOVA_INVITATION_RECENT_DAYS = 3
# A sender may recall a message this many seconds after sending it (M4).
NOVA_RECALL_SECONDS = 120
# A read pushes the new read state of at most this many of the newest
# messages it covers to their senders' open tabs (M3); older ones show
# it when next loaded.
NOVA_READ_PUSH_LIMIT = 200
# A tab that missed more than this many messages gets the newest page
# afresh instead of everything it missed (L3).
NOVA_CATCH_UP_LIMIT = 500
# ... sent in parts of at most this many bytes of rendered messages, well
# under daphne's 1 MiB frame limit.
NOVA_CATCH_UP_BYTES = 256 * 1024
# A catch-up larger than this (a chat list of thousands) is refused with
# advice to reload rather than killing the socket.
NOVA_WS_MAX_SEND = 1000 * 1000
# A socket may ask for a catch-up this often at most.
NOVA_CATCH_UP_INTERVAL = 0.25
# Websocket frames larger than this are refused with an error frame (L4).
NOVA_WS_MAX_FRAME = 64 * 1024
# A socket may say "typing" this often at most (M10); tabs send it every
# three seconds while their user types, and drop it after five silent ones.
NOVA_TYPING_INTERVAL = 2.5
# How often an open socket re-checks its session and renews its groups.
NOVA_WS_RECHECK_SECONDS = 300
# A push to a socket whose session was last confirmed longer ago than this
# confirms it first.
NOVA_WS_SESSION_TTL = 15
# Presence (M10): each open socket renews its row this often; a row older
# than the TTL no longer counts (its process died) and is swept away.
NOVA_PRESENCE_HEARTBEAT_SECONDS = 60
NOVA_PRESENCE_TTL_SECONDS = 150
# The last tab of a user closed: wait this long before telling friends, so
# a reload or a flapping connection does not flicker every friend's dot.
NOVA_PRESENCE_DEBOUNCE_SECONDS = 1.0

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.channels.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        # axes writes several lines per failed log-in; Nova writes one
        # line per refused, locked-out try (accounts.views).
        "axes": {"level": "ERROR"},
    },
}
