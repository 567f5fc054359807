"""Settings shared by every environment. Values from the environment go through prm.env."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from prm import embedded
from prm.env import (
    celery_broker_url,
    check_redis_url,
    connection_reuse,
    env_bool,
    env_choice,
    env_int,
    env_int_list,
    env_list,
    env_str,
    parse_database_url,
    statement_reuse,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [".localhost", "localhost", "127.0.0.1"])
KYOSO_BASE_DOMAIN = env_str("KYOSO_BASE_DOMAIN", "localhost")
KYOSO_PORT = env_int("KYOSO_PORT", 8000, minimum=1, maximum=65535)
KYOSO_URL_SCHEME = env_choice("KYOSO_URL_SCHEME", "http", ["http", "https"])
# Port shown in printed URLs; empty when the site sits behind a proxy on 80/443.
KYOSO_PUBLIC_PORT = env_str("KYOSO_PUBLIC_PORT", str(KYOSO_PORT))

# ----------------------------------------------------------------------------- apps

SHARED_APPS = [
    "django_tenants",
    "prm.tenancy",
    "prm.accounts",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "prm.admin_apps.KyosoAdminConfig",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    # django-ninja's pinned Swagger UI and Redoc assets, served as our own static files (no CDN).
    "ninja",
    "prm",
]

TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "prm.admin_apps.KyosoAdminConfig",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "prm.accounts",
    "prm.invitations",
    "prm.notifications",
    "prm.exports",
    "prm.savedviews",
    "prm.outbox",
    "partners",
    "deals",
    "programs",
    "enablement",
    "incentives",
    "mapping",
    "insights",
    "portal",
    "webhooks",
    "api",
]

INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenancy.Vendor"
TENANT_DOMAIN_MODEL = "tenancy.Domain"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "prm.urls_public"
# A schema only migrations write to; new vendors are copies of it (prm.tenancy.template). No Vendor
# row: never routable, never in a fan-out. Vendors' schemas start with "v_", so no slug can take it.
KYOSO_TEMPLATE_SCHEMA = "kyoso_template"
# Processes that migrate vendor schemas in parallel in the release step (setup_platform).
KYOSO_MIGRATE_PROCESSES = env_int("KYOSO_MIGRATE_PROCESSES", 4, minimum=1, maximum=32)
ROOT_URLCONF = "prm.urls_console"
TENANT_LIMIT_SET_CALLS = True
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False

AUTH_USER_MODEL = "accounts.User"

MIDDLEWARE = [
    # First: /healthz answers any Host (a load balancer's probe), before the host check and the tenant.
    "prm.health.HealthCheckMiddleware",
    "prm.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "prm.tenancy.middleware.VendorMiddleware",
    "prm.tenancy.middleware.SiteKindMiddleware",
    "prm.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "prm.middleware.RefuseNulBytesMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "prm.middleware.LanguageMiddleware",  # the account's language: after authentication
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "prm.htmx.HtmxVaryMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "prm.tenancy.middleware.TimezoneMiddleware",
    "prm.accounts.middleware.SiteAccessMiddleware",
    "prm.accounts.middleware.RequireMfaMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "prm.context_processors.site",
            ],
            # `{% url %}` as Django's, without the reverse it repeats on every page (prm.templatetags.kyoso_builtins;
            # `{% translate %}` likewise: prm.translate_tag, installed by prm's AppConfig).
            "builtins": ["prm.templatetags.kyoso_builtins"],
        },
    },
]

# Django's renderer, with select boxes, inputs, textareas and lists of checkboxes or radio buttons written in
# Python instead of a template include per widget and per option (prm/forms_renderer.py).
FORM_RENDERER = "prm.forms_renderer.FastWidgetRenderer"

WSGI_APPLICATION = "prm.wsgi.application"

# ----------------------------------------------------------------------------- data stores

_database_url = env_str("DATABASE_URL")
if _database_url:
    DATABASES = {"default": parse_database_url("DATABASE_URL", _database_url)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "prm.embedded_db",
            "NAME": embedded.DATABASE_NAME,
            "USER": "postgres",
            "PASSWORD": "",
            "HOST": "",
            "PORT": "",
            **connection_reuse(),
            "OPTIONS": statement_reuse(),
        }
    }
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_redis_url = env_str("REDIS_URL")
REDIS_URL = check_redis_url("REDIS_URL", _redis_url) if _redis_url else embedded.redis_url()
KYOSO_EMBEDDED_REDIS = not _redis_url

CACHES = {
    "default": {
        "BACKEND": "prm.cache.RedisCache",
        "LOCATION": REDIS_URL,
        # django-tenants prefixes every key with the schema: rate limits and cached values
        # never mix tenants.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "OPTIONS": {"pool_class": "prm.cache.EmbeddedAwarePool"} if KYOSO_EMBEDDED_REDIS else {},
    },
    # Rows of the public schema every request reads (the vendor behind a host name): keys without the
    # schema, so any tenant's request reads and forgets the same entry (prm.tenancy.lookups).
    "platform": {
        "BACKEND": "prm.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "platform",
        "OPTIONS": {"pool_class": "prm.cache.EmbeddedAwarePool"} if KYOSO_EMBEDDED_REDIS else {},
    },
}

# Read from the cache (keys carry the tenant's schema), written through to the database: a signed-in
# request no longer reads django_session, and a session outlives a cache flush.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14

# ----------------------------------------------------------------------------- celery

CELERY_BROKER_URL = celery_broker_url(REDIS_URL)
CELERY_RESULT_BACKEND = celery_broker_url(REDIS_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Tokyo"
CELERY_TASK_TIME_LIMIT = 60 * 30
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = False
# Redis hands a message a worker has taken but not acknowledged to another worker after this many
# seconds. A periodic job waits up to its spread (one hour) in the worker before it starts, then runs
# up to its time limit (one hour) before it is acknowledged (acks_late), so the timeout must exceed
# both together or a job still waiting or running is delivered a second time. Three hours: the two
# plus an hour of queueing. (A worker killed outright leaves its messages to come back after it.)
KYOSO_BROKER_VISIBILITY_TIMEOUT = env_int("KYOSO_BROKER_VISIBILITY_TIMEOUT", 3 * 60 * 60, minimum=5,
                                          maximum=24 * 60 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": KYOSO_BROKER_VISIBILITY_TIMEOUT}

# Three queues, so a night of commission runs or a slow mail relay never holds up a user's click:
#   interactive  small tasks a user waits for, and the periodic fan-outs (the default queue)
#   heavy        commission runs, exports, imports, health recalculation, PDF statements, nightly jobs
#   email        every e-mail (prm.tasks.deliver_email), and notifications' e-mails rendered
#                (prm.notifications.tasks.notification_emails_send)
# A worker started without -Q consumes all three (./kyoso run); docker-compose runs one worker per
# queue. KYOSO_QUEUE_PREFIX namespaces them when several deployments (or tests) share one Redis.
KYOSO_QUEUE_PREFIX = env_str("KYOSO_QUEUE_PREFIX", "")
QUEUE_INTERACTIVE = f"{KYOSO_QUEUE_PREFIX}interactive"
QUEUE_HEAVY = f"{KYOSO_QUEUE_PREFIX}heavy"
QUEUE_EMAIL = f"{KYOSO_QUEUE_PREFIX}email"
CELERY_TASK_DEFAULT_QUEUE = QUEUE_INTERACTIVE
CELERY_TASK_QUEUES = {name: {"exchange": name, "routing_key": name}
                      for name in (QUEUE_INTERACTIVE, QUEUE_HEAVY, QUEUE_EMAIL)}
HEAVY_TASKS = [
    "incentives.tasks.commission_run",
    "prm.exports.tasks.export_run",
    "partners.tasks.import_apply",
    "insights.tasks.health_recalculate",
    "insights.tasks.qbr_render",
    "partners.tasks.contact_stages_recompute",
    "partners.tasks.partner_stages_recompute",
    "programs.tasks.tiers_evaluate",
    "deals.tasks.deals_expire",
    "mapping.tasks.overlaps_recompute",
    "prm.notifications.tasks.notifications_digest",
    "prm.tasks.retention_purge",
    "enablement.tasks.certifications_remind",
]
CELERY_TASK_ROUTES = {
    **{name: {"queue": QUEUE_HEAVY} for name in HEAVY_TASKS},
    "prm.tasks.deliver_email": {"queue": QUEUE_EMAIL},
    "prm.notifications.tasks.notification_emails_send": {"queue": QUEUE_EMAIL},
}

# One active beat: celery-redbeat keeps the schedule (and each entry's last run) in Redis and holds
# a lock there, so a second beat started for safety waits as a standby and takes over, without
# repeating or skipping a run, when the active one stops extending the lock for KYOSO_BEAT_LOCK_SECONDS.
# Both touch a heartbeat file on every tick (their containers' healthcheck reads it).
CELERY_BEAT_SCHEDULER = "prm.celery:HeartbeatScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = env_int("KYOSO_BEAT_MAX_LOOP_INTERVAL", 60, minimum=1, maximum=300)
CELERY_REDBEAT_REDIS_URL = REDIS_URL
CELERY_REDBEAT_REDIS_OPTIONS: dict = {}
CELERY_REDBEAT_KEY_PREFIX = env_str("KYOSO_BEAT_KEY_PREFIX", "kyoso:beat:")
CELERY_REDBEAT_LOCK_TIMEOUT = env_int("KYOSO_BEAT_LOCK_SECONDS", 5 * CELERY_BEAT_MAX_LOOP_INTERVAL,
                                      minimum=2 * CELERY_BEAT_MAX_LOOP_INTERVAL, maximum=3600)
# Task events for monitoring tools such as Flower: the workers' (received, started, succeeded, failed) always;
# the sender's "task-sent" only with KYOSO_CELERY_SENT_EVENTS=on, since it is one more message to the broker
# for every task a request queues (a deal registration queues three), and a monitor learns of each task from
# the worker's "received" anyway.
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = env_bool("KYOSO_CELERY_SENT_EVENTS", False)

# ----------------------------------------------------------------------------- auth

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "prm.accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Kyoso] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = KYOSO_URL_SCHEME
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
    "signup": "20/m/ip",
}
# Proxies in front of Kyoso that append to X-Forwarded-For (0: the header is ignored). Every
# rate limit, allauth's included, keys on the address prm.ratelimits.client_ip derives from it.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("ALLAUTH_TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=10)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Kyoso"
# Requests a minute one API key may make; over it the API answers 429 with Retry-After.
KYOSO_API_RATE_PER_MINUTE = env_int("KYOSO_API_RATE_PER_MINUTE", 600, minimum=1, maximum=100_000)
KYOSO_INVITATION_DAYS = env_int("KYOSO_INVITATION_DAYS", 7, minimum=1, maximum=60)
# A commission run whose heartbeat is older than this is taken for dead (its worker was killed).
KYOSO_RUN_STALE_MINUTES = env_int("KYOSO_RUN_STALE_MINUTES", 10, minimum=1, maximum=24 * 60)
KYOSO_RUN_QUEUE = env_str("KYOSO_RUN_QUEUE", "")  # empty: the heavy queue (CELERY_TASK_ROUTES)
# An export of more rows than this is written by the worker (prm.exports) instead of in the request.
KYOSO_EXPORT_INLINE_ROWS = env_int("KYOSO_EXPORT_INLINE_ROWS", 2000, minimum=0, maximum=10_000_000)
KYOSO_EXPORT_QUEUE = env_str("KYOSO_EXPORT_QUEUE", "")  # empty: the heavy queue (CELERY_TASK_ROUTES)

# ----------------------------------------------------------------------------- events and webhooks

# The task that takes new outbox rows (prm.events); named, so the platform layer imports no app above it.
KYOSO_OUTBOX_DISPATCH_TASK = "webhooks.tasks.events_dispatch"
KYOSO_WEBHOOK_QUEUE = env_str("KYOSO_WEBHOOK_QUEUE", "")  # empty: Celery's default queue
# The message that carries the tasks one transaction sends after its commit (prm.after_commit).
KYOSO_AFTER_COMMIT_QUEUE = env_str("KYOSO_AFTER_COMMIT_QUEUE", "")  # empty: the interactive queue
# Seconds to wait before each retry of a failed delivery (Standard Webhooks practice: about 24 hours in
# all); after the last one the delivery is given up and the endpoint disabled.
KYOSO_WEBHOOK_RETRY_SECONDS = env_int_list("KYOSO_WEBHOOK_RETRY_SECONDS", [5, 300, 1800, 7200, 18000, 36000, 36000],
                                           minimum=0, maximum=7 * 24 * 3600)
# An endpoint is disabled after this many failed attempts in a row, whichever events they were for.
KYOSO_WEBHOOK_DISABLE_AFTER = env_int("KYOSO_WEBHOOK_DISABLE_AFTER", 50, minimum=1, maximum=10_000)
KYOSO_WEBHOOK_CONNECT_TIMEOUT = env_int("KYOSO_WEBHOOK_CONNECT_TIMEOUT", 5, minimum=1, maximum=60)
KYOSO_WEBHOOK_TOTAL_TIMEOUT = env_int("KYOSO_WEBHOOK_TOTAL_TIMEOUT", 10, minimum=1, maximum=120)
# Endpoints on loopback or private addresses (http://127.0.0.1:…): development and tests only. In
# production every address an endpoint's host resolves to must be public, checked again at each send.
KYOSO_WEBHOOK_ALLOW_PRIVATE = env_bool("KYOSO_WEBHOOK_ALLOW_PRIVATE", DEBUG)
# Vendors created from the platform admin (prm.tenancy.tasks).
KYOSO_VENDOR_QUEUE = env_str("KYOSO_VENDOR_QUEUE", "")  # empty: the interactive queue (CELERY_TASK_DEFAULT_QUEUE)

# ----------------------------------------------------------------------------- i18n

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Tokyo"
LANGUAGE_COOKIE_NAME = "kyoso_language"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SAMESITE = "Lax"

# ----------------------------------------------------------------------------- static & media

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(embedded.data_dir() / "media")))
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "prm.staticfiles.ManifestStaticFilesStorage"},
}
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"

# KYOSO_STORAGE=s3 keeps media in an S3-compatible bucket (AWS, MinIO, Cloudflare R2…) through
# django-storages, each vendor under its schema name; downloads become short-lived presigned URLs
# handed out after the access check (prm.downloads).
KYOSO_STORAGE = env_choice("KYOSO_STORAGE", "local", ["local", "s3"])
KYOSO_DOWNLOAD_URL_SECONDS = env_int("KYOSO_DOWNLOAD_URL_SECONDS", 300, minimum=10, maximum=3600)
if KYOSO_STORAGE == "s3":
    AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME", required=True)
    AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL")
    AWS_S3_REGION_NAME = env_str("AWS_S3_REGION_NAME")
    AWS_ACCESS_KEY_ID = env_str("AWS_ACCESS_KEY_ID")
    AWS_SECRET_ACCESS_KEY = env_str("AWS_SECRET_ACCESS_KEY")
    AWS_S3_SIGNATURE_VERSION = "s3v4"
    AWS_QUERYSTRING_AUTH = True  # every URL is presigned; the bucket stays private
    AWS_QUERYSTRING_EXPIRE = KYOSO_DOWNLOAD_URL_SECONDS
    AWS_DEFAULT_ACL = None
    AWS_S3_FILE_OVERWRITE = False
    STORAGES["default"] = {"BACKEND": "prm.storage_s3.VendorS3Storage"}

# What each vendor keeps only for a while (prm.retention, nightly).
KYOSO_RETENTION_NOTIFICATION_DAYS = env_int("KYOSO_RETENTION_NOTIFICATION_DAYS", 180, minimum=1)
KYOSO_RETENTION_SIGNAL_MONTHS = env_int("KYOSO_RETENTION_SIGNAL_MONTHS", 36, minimum=13)  # health reads 12 months
KYOSO_RETENTION_DOWNLOAD_MONTHS = env_int("KYOSO_RETENTION_DOWNLOAD_MONTHS", 24, minimum=1)
KYOSO_RETENTION_HEALTH_MONTHS = env_int("KYOSO_RETENTION_HEALTH_MONTHS", 24, minimum=13)
KYOSO_RETENTION_EXPORT_DAYS = env_int("KYOSO_RETENTION_EXPORT_DAYS", 7, minimum=1, maximum=366)  # export job files
# Sent events and their webhook delivery log (a disabled endpoint's undelivered events go with them).
KYOSO_RETENTION_EVENT_DAYS = env_int("KYOSO_RETENTION_EVENT_DAYS", 30, minimum=2, maximum=3650)

# ----------------------------------------------------------------------------- e-mail

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Kyoso <no-reply@kyoso.localhost>")
# Seconds an SMTP connection may block a worker; a hung relay fails the attempt and the task retries.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1, maximum=600)
# Every e-mail is sent by prm.mail.deliver_email: attempts after the first, and the first back-off
# (doubled on each retry: 30 s, 60 s, 120 s, …).
KYOSO_EMAIL_MAX_RETRIES = env_int("KYOSO_EMAIL_MAX_RETRIES", 5, minimum=0, maximum=20)
KYOSO_EMAIL_RETRY_SECONDS = env_int("KYOSO_EMAIL_RETRY_SECONDS", 30, minimum=1, maximum=3600)
# "queue": after commit, to a Celery worker (every deployment). "inline": the same task run in
# the sending process after commit (the test suite, so django's mail outbox sees the message).
KYOSO_EMAIL_DELIVERY = env_choice("KYOSO_EMAIL_DELIVERY", "queue", ["queue", "inline"])
KYOSO_EMAIL_QUEUE = env_str("KYOSO_EMAIL_QUEUE", "")  # empty: the email queue (CELERY_TASK_ROUTES)

# ----------------------------------------------------------------------------- security

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'"
)

# ----------------------------------------------------------------------------- logging

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR"])
# text: readable lines; json: one JSON object a line with tenant and request id, for log collectors.
KYOSO_LOG_FORMAT = env_choice("KYOSO_LOG_FORMAT", "text", ["text", "json"])
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "tenant_context": {"()": "django_tenants.log.TenantContextFilter"},
        "request_id": {"()": "prm.logs.RequestIdFilter"},
        "harfbuzz_once": {"()": "prm.logs.HarfBuzzOnceFilter"},
    },
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s [%(schema_name)s %(domain_url)s %(request_id)s] %(name)s: %(message)s"
        },
        "json": {"()": "prm.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["tenant_context", "request_id"],
            "formatter": KYOSO_LOG_FORMAT,
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING", "filters": ["harfbuzz_once"]},
        "fontTools": {"level": "WARNING"},
        "celery": {"level": LOG_LEVEL},
    },
}

# ----------------------------------------------------------------------------- observability

# Error reports to Sentry (Django and Celery) when a DSN is set; nothing is sent otherwise.
SENTRY_DSN = env_str("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "production")
# Share of requests and tasks traced for performance, in percent (0: errors only).
SENTRY_TRACES_PERCENT = env_int("SENTRY_TRACES_PERCENT", 0, minimum=0, maximum=100)
if SENTRY_DSN:
    from prm.observability import init_sentry

    init_sentry(SENTRY_DSN, environment=SENTRY_ENVIRONMENT, traces_sample_rate=SENTRY_TRACES_PERCENT / 100)

# Prometheus metrics on /metrics (django-prometheus) only with KYOSO_METRICS=1; the endpoint
# answers requests from this machine, or with KYOSO_METRICS_TOKEN as a bearer token.
KYOSO_METRICS = env_bool("KYOSO_METRICS", False)
KYOSO_METRICS_TOKEN = env_str("KYOSO_METRICS_TOKEN", "")
if KYOSO_METRICS:
    SHARED_APPS.append("django_prometheus")
    INSTALLED_APPS.append("django_prometheus")
    MIDDLEWARE = [
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        "prm.observability.MetricsEndpointMiddleware",
        *MIDDLEWARE,
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    ]
