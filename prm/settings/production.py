"""Production: everything from the environment, nothing embedded, HTTPS only."""

from prm.env import ImproperlyConfiguredEnv, env_bool, env_int, env_str
from prm.settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY", required=True)
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-only"):
    raise ImproperlyConfiguredEnv("SECRET_KEY must be a random value of at least 50 characters.")
if not env_str("DATABASE_URL"):
    raise ImproperlyConfiguredEnv("DATABASE_URL must be set in production.")
if not env_str("REDIS_URL"):
    raise ImproperlyConfiguredEnv("REDIS_URL must be set in production.")

KYOSO_URL_SCHEME = "https"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
