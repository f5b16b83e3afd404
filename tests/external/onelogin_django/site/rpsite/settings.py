"""A minimal Django site that signs people in with govuk-onelogin-django, configured the way the
library's README and example project say, from environment variables:

    RP_ISSUER            the provider's issuer, e.g. http://localhost:8000 (discovery is read from
                         <issuer>/.well-known/openid-configuration)
    RP_CLIENT_ID         the client_id that `govsignin services add` printed
    RP_PRIVATE_KEY_PATH  the RSA private key (PEM) whose public half was registered; the library
                         wants it base64-encoded in GOV_UK_ONE_LOGIN_CLIENT_SECRET
    RP_PORT              the port this site serves on (informational: URLs are built from the request)
    RP_DATA_DIR          where the SQLite database and the log file go (default: ./var)
    RP_BACK_CHANNEL      "1" (default) mounts the library's back-channel-logout view, "0" leaves it out
    RP_VTR_AUTH          authentication level, default Cl.Cm; RP_VTR_CONFIDENCE default P0
"""

import base64
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("RP_DATA_DIR", BASE_DIR / "var"))
DATA_DIR.mkdir(parents=True, exist_ok=True)
LOG_FILE = DATA_DIR / "rp.log"

ISSUER = os.environ.get("RP_ISSUER", "http://localhost:8000").rstrip("/")
PORT = int(os.environ.get("RP_PORT", "8001"))

SECRET_KEY = "rpsite-test-only-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "govuk_onelogin_django",
    "rpsite",
]

MIDDLEWARE = [
    "rpsite.middleware.record_back_channel_logout",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "rpsite.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "rpsite" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ],
        },
    },
]
WSGI_APPLICATION = "rpsite.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "rp.sqlite3",
        "OPTIONS": {"timeout": 20},
    }
}
# The library's back-channel view deletes rows of the database session store (its documented
# default), so sessions must live in the database.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "file": {"class": "logging.FileHandler", "filename": str(LOG_FILE), "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        # The library logs (and swallows) every back-channel logout failure here.
        "govuk_onelogin_django": {"handlers": ["console", "file"], "level": "INFO", "propagate": False},
        "rpsite": {"handlers": ["console", "file"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console", "file"], "level": "WARNING", "propagate": False},
    },
}

# GOV.UK One Login, as the library's README asks.
LOGIN_URL = "start"
LOGIN_REDIRECT_URL = "account"
AUTHENTICATION_BACKENDS = ["govuk_onelogin_django.backends.OneLoginBackend"]

GOV_UK_ONE_LOGIN_CLIENT_ID = os.environ.get("RP_CLIENT_ID", "")
_key_path = os.environ.get("RP_PRIVATE_KEY_PATH")
GOV_UK_ONE_LOGIN_CLIENT_SECRET = (
    base64.b64encode(Path(_key_path).read_bytes()).decode() if _key_path else ""
)
GOV_UK_ONE_LOGIN_OPENID_CONFIG_URL = f"{ISSUER}/.well-known/openid-configuration"
GOV_UK_ONE_LOGIN_SCOPE = os.environ.get("RP_SCOPE", "openid email")
GOV_UK_ONE_LOGIN_AUTHENTICATION_LEVEL = os.environ.get("RP_VTR_AUTH", "Cl.Cm")
GOV_UK_ONE_LOGIN_CONFIDENCE_LEVEL = os.environ.get("RP_VTR_CONFIDENCE", "P0")
GOV_UK_ONE_LOGIN_BACK_CHANNEL_ENABLED = os.environ.get("RP_BACK_CHANNEL", "1") == "1"
