"""Production: everything from the environment, nothing embedded, HTTPS only."""

from prm.env import ImproperlyConfiguredEnv, env_bool, env_int, env_list, env_str
from prm.settings.base import *  # noqa: F403

# Keys printed in the repository (the development default, docker-compose.yml's example):
# anyone can read them, so they sign nothing in production.
EXAMPLE_SECRET_KEYS = frozenset({
    "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop",
    "compose-demo-secret-change-me-0123456789abcdefghijklmnopqrstuvwxyz",
})

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY", required=True)
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfiguredEnv("SECRET_KEY must be a random value of at least 50 characters.")
if SECRET_KEY in EXAMPLE_SECRET_KEYS or SECRET_KEY.startswith("dev-only") or "change-me" in SECRET_KEY:
    raise ImproperlyConfiguredEnv(
        "SECRET_KEY is an example value from the repository; generate a random one for production."
    )
if not env_str("ALLOWED_HOSTS"):
    raise ImproperlyConfiguredEnv(
        "ALLOWED_HOSTS must be set in production: the domains Kyoso serves (e.g. .kyoso.example,partners.acme.co.jp)."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
if "*" in ALLOWED_HOSTS:
    raise ImproperlyConfiguredEnv(
        "ALLOWED_HOSTS must name the domains Kyoso serves, not '*': links in e-mails are built from the Host header."
    )
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

# The demo vendor's seeding is not part of production. The one exception is docker-compose.yml's
# showcase (KYOSO_SEED_DEMO=1): its setup step alone sets it, to run seed_demo once.
if env_bool("KYOSO_SEED_DEMO", False):
    TENANT_APPS = [*TENANT_APPS, "demo"]  # noqa: F405
    INSTALLED_APPS = [*INSTALLED_APPS, "demo"]  # noqa: F405
