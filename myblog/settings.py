"""Settings for MyBlog + MyToDoList.

One module for every environment: with nothing set it runs locally on SQLite and the local
moto endpoint; with DJANGO_ENV=production it reads everything from the environment and refuses
to start without its secrets.
"""

from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from myblog.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DJANGO_ENV = env_str("DJANGO_ENV", "local")
PRODUCTION = DJANGO_ENV == "production"

# The service this process serves; zappa_settings.json has a stage per service. "blog": pages,
# feed, blog API, photos, subscribers, admin. "todo": the to-do API and each user's files.
# Locally one process serves "all". Production requires only what its service uses.
SERVICE = env_choice("SERVICE", "all", ("all", "blog", "todo"))
SERVES_BLOG = SERVICE in ("all", "blog")
SERVES_TODO = SERVICE in ("all", "todo")
_BLOG_REQUIRED = PRODUCTION and SERVES_BLOG
_TODO_REQUIRED = PRODUCTION and SERVES_TODO

if PRODUCTION:
    SECRET_KEY = env_str("SECRET_KEY", required=True)
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [], required=True)
    # The to-do service keeps no relational data: its Django needs a database only to start.
    DATABASE_URL = env_str("DATABASE_URL", "sqlite://:memory:", required=_BLOG_REQUIRED)
else:
    SECRET_KEY = env_str("SECRET_KEY", "local-development-key-not-for-production-use-0123456789")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
    DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")

DEBUG = env_bool("DEBUG", not PRODUCTION)
# Changes with every deploy, so ETags of cached pages change when templates or code do.
RELEASE = env_str("RELEASE", "dev")
SITE_NAME = env_str("SITE_NAME", "MyBlog")
SITE_DESCRIPTION = env_str("SITE_DESCRIPTION", "Notes on building software that scales globally.")

INSTALLED_APPS = [
    # django.contrib.admin with StaffAdminSite as admin.site: second factor, enrolment (issue 12).
    "myblog.admin_apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "taggit",
    "myblog.core",
    "myblog.blog",
    "media",
    "corsheaders",
    "todo",
    "notifications",
    "newsletter",  # after the blog: its admin extends the post admin (new posts by email)
    "myblog.snapstart.SnapStartConfig",  # registers SnapStart's hooks on Lambda
    # Admin sign-in (issue 12): failed-login lockout in the database, TOTP devices of staff.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    # First: the request's ids are on every log line of the request, and its answer says X-Request-Id.
    "myblog.core.observability.RequestIdMiddleware",
    # Refuses what did not come through CloudFront, serves the rest at SITE_URL (myblog/core/origin.py).
    "myblog.core.origin.CloudFrontOnlyMiddleware",
    # Answers a public page already rendered for the unchanged blog, with the headers everything
    # below gave it, without running the rest; keeps what the rest answers (myblog/blog/page_cache.py).
    "myblog.blog.page_cache.PageCacheMiddleware",
    "myblog.core.middleware.PrivateByDefaultMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy header on every answer (issue 12; myblog/core/csp.py).
    "myblog.core.csp.ContentSecurityPolicyMiddleware",
    # Before CommonMiddleware, which may answer a preflight itself; acts only on CORS_URLS_REGEX.
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed a TOTP check (admin_auth.py).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# The to-do service starts only what its API uses (cold start, issue 14: a new process loads ~170
# modules fewer and answers its first request ~45 ms sooner). Its callers send Cognito bearer
# tokens, never cookies: no Django users, sessions, messages or rows of its own, no pages, no admin.
# It keeps DRF, drf-spectacular and its sidecar (the schema and the docs page, whose static files
# staticfiles names), CORS, the shared core (checks, tracing), SnapStart's hooks, and the middleware
# that shapes each answer it gives. "all" (make run, the tests) and "blog" keep everything above.
_TODO_APPS = {
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "myblog.core",
    "corsheaders",
    "todo",
    "myblog.snapstart.SnapStartConfig",
}
_TODO_MIDDLEWARE = {
    "myblog.core.observability.RequestIdMiddleware",
    "myblog.core.middleware.PrivateByDefaultMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "myblog.core.csp.ContentSecurityPolicyMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
}
if SERVICE == "todo":
    INSTALLED_APPS = [app for app in INSTALLED_APPS if app in _TODO_APPS]
    MIDDLEWARE = [name for name in MIDDLEWARE if name in _TODO_MIDDLEWARE]
# The to-do service's one page, the API docs, reads no user, messages or blog name (and the auth
# processor would import django.contrib.auth's models, which that service does not install).
_CONTEXT_PROCESSORS = ["django.template.context_processors.request"]
if SERVES_BLOG:
    _CONTEXT_PROCESSORS += [
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
        "myblog.blog.context_processors.site",
    ]

# Each service answers only its own routes.
ROOT_URLCONF = {"all": "myblog.urls.all", "blog": "myblog.urls.blog", "todo": "myblog.urls.todo"}[SERVICE]
WSGI_APPLICATION = "myblog.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": _CONTEXT_PROCESSORS,
        },
    },
]

DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
# A read replica for public pages (an Aurora reader or a global database's local cluster).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60)),
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["myblog.core.db_router.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Axes first: it refuses a locked-out username and address before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_ROOT = BASE_DIR / "staticfiles"
# Readers fetch static files and photo renditions from CloudFront (infra/cdn.yaml); required in
# production, where the bucket is private. Locally Django and the moto endpoint serve them.
CDN_DOMAIN = env_str("CDN_DOMAIN", required=PRODUCTION)
# Where collectstatic writes the manifest of hashed names; it ships in the Lambda package.
STATIC_MANIFEST_ROOT = Path(env_str("STATIC_MANIFEST_ROOT", str(BASE_DIR / "build" / "static-manifest")))
if CDN_DOMAIN:
    STATIC_URL = f"https://{CDN_DOMAIN}/static/"
    _staticfiles = {
        "BACKEND": "myblog.core.staticfiles.CdnManifestStaticStorage",
        "OPTIONS": {"location": "static", "custom_domain": CDN_DOMAIN, "url_protocol": "https:"},
    }
else:
    STATIC_URL = "/static/"
    # The raw value: Django's settings.STATIC_URL freezes the first request's script prefix.
    _staticfiles = {
        "BACKEND": "myblog.core.staticfiles.PrefixedStaticFilesStorage",
        "OPTIONS": {"base_url": STATIC_URL},
    }
STORAGES = {
    # Media (photo originals and renditions) live in the private media bucket; see the AWS section.
    "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    "staticfiles": _staticfiles,
}

# --- HTTP caching (docs/architecture.md, decision 9) ----------------------------------------------
# Browsers keep a public page for CACHE_MAX_AGE seconds; CloudFront and API Gateway for
# CACHE_S_MAXAGE. After that they revalidate with If-None-Match / If-Modified-Since.
CACHE_MAX_AGE = env_int("CACHE_MAX_AGE", 60)
CACHE_S_MAXAGE = env_int("CACHE_S_MAXAGE", 600)
# A process reuses the blog's freshness (the one query behind ETags) for this many seconds, so a
# cached read runs no query at all. Production: 1 s, nothing next to the minutes CloudFront and
# API Gateway keep a page; locally 0, so an edit shows at once.
PUBLIC_FRESHNESS_TTL = env_int("PUBLIC_FRESHNESS_TTL", 1 if PRODUCTION else 0)
POSTS_PER_PAGE = env_int("POSTS_PER_PAGE", 10)

# --- AWS (docs/architecture.md, decision 1) -------------------------------------------------------
AWS_REGION = env_str("AWS_REGION", env_str("AWS_DEFAULT_REGION", "us-east-1"))
# Locally every AWS call goes to the moto server; in production boto3's defaults apply.
AWS_ENDPOINT_URL = env_str("AWS_ENDPOINT_URL", None if PRODUCTION else "http://127.0.0.1:4566")
# Locally moto accepts any credentials. In production all three are None on purpose: boto3,
# django-storages and django-ses then use boto3's own credential chain, which reads the role's
# temporary credentials Lambda sets (key, secret and AWS_SESSION_TOKEN, without which AWS refuses
# every request). Any one of them set here would make a library pass an incomplete set.
AWS_ACCESS_KEY_ID = None if PRODUCTION else env_str("AWS_ACCESS_KEY_ID", "testing")
AWS_SECRET_ACCESS_KEY = None if PRODUCTION else env_str("AWS_SECRET_ACCESS_KEY", "testing")
AWS_SESSION_TOKEN = None if PRODUCTION else env_str("AWS_SESSION_TOKEN")
AWS_TIMEOUT_SECONDS = env_int("AWS_TIMEOUT_SECONDS", 3)
# Declared in infra/storage.yaml; the local name is what infra.bootstrap creates.
MEDIA_BUCKET = env_str("MEDIA_BUCKET", None if PRODUCTION else "myblog-local-media", required=_BLOG_REQUIRED)

# --- Photos (media/) ---------------------------------------------------------------------------
# django-storages reads these. Readers fetch media through CloudFront (CDN_DOMAIN); locally the
# moto endpoint serves the bucket directly, so the same code produces working URLs.
AWS_STORAGE_BUCKET_NAME = MEDIA_BUCKET
AWS_S3_REGION_NAME = AWS_REGION
AWS_S3_ENDPOINT_URL = AWS_ENDPOINT_URL
AWS_S3_SIGNATURE_VERSION = "s3v4"
AWS_S3_FILE_OVERWRITE = True  # rendition keys are deterministic: a re-run overwrites, never duplicates
AWS_QUERYSTRING_AUTH = False  # URLs must be the same for everyone, or no page could be cached
AWS_DEFAULT_ACL = None
AWS_S3_OBJECT_PARAMETERS = {"CacheControl": "public, max-age=31536000, immutable"}
if CDN_DOMAIN:
    AWS_S3_CUSTOM_DOMAIN, AWS_S3_URL_PROTOCOL = CDN_DOMAIN, "https:"
elif AWS_ENDPOINT_URL:
    _scheme, _, _host = AWS_ENDPOINT_URL.partition("://")
    AWS_S3_CUSTOM_DOMAIN, AWS_S3_URL_PROTOCOL = f"{_host.rstrip('/')}/{MEDIA_BUCKET}", f"{_scheme}:"
PHOTO_MAX_UPLOAD_BYTES = env_int("PHOTO_MAX_UPLOAD_BYTES", 25 * 1024 * 1024)
PHOTO_UPLOAD_EXPIRES_SECONDS = env_int("PHOTO_UPLOAD_EXPIRES_SECONDS", 900)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's, with limits on size, nesting and numbers (bad JSON is a 4xx, never a 500).
    "DEFAULT_PARSER_CLASSES": ["myblog.core.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "myblog.core.http_errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MyBlog API",
    "DESCRIPTION": "Public, read-only API of MyBlog. Responses are cached: use ETag / If-None-Match.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The to-do API has its own schema at /api/todos/schema/.
    "PREPROCESSING_HOOKS": ["todo.schema.without_todo_endpoints"],
}

# --- Subscribers and email (notifications/) ---------------------------------------------------
# Emails are sent through Django's email API by django-ses, with SES v2 (docs/architecture.md, decision 1).
EMAIL_BACKEND = "django_ses.SESBackend"
USE_SES_V2 = True
AWS_SES_REGION_NAME = AWS_REGION
# django-ses ignores AWS_ENDPOINT_URL; None (production) means SES's own regional endpoint.
AWS_SES_REGION_ENDPOINT_URL = AWS_ENDPOINT_URL
# No per-process send-rate bookkeeping (one more API call per cold start): an SES throttling
# error fails the task, and Lambda retries it.
AWS_SES_AUTO_THROTTLE = None
if PRODUCTION:
    # The public origin (plus any path prefix) of the links in emails, which are built outside
    # any request, e.g. https://blog.example.com.
    # "" (never read) where the blog is not served: settings hold strings, not maybe-strings.
    SITE_URL = env_str("SITE_URL", "", required=_BLOG_REQUIRED)
    # An address of the SES identity of infra/notifications.yaml (MailDomain), e.g. "MyBlog <news@...>".
    DEFAULT_FROM_EMAIL = env_str("EMAIL_FROM", "", required=_BLOG_REQUIRED)
    # ConfigurationSetName of infra/notifications.yaml: its event destination publishes bounces
    # and complaints to the SNS topic.
    AWS_SES_CONFIGURATION_SET = env_str("SES_CONFIGURATION_SET", required=_BLOG_REQUIRED)
    # MailEventsTopicArn of infra/notifications.yaml: a valid SNS signature proves only that
    # *some* topic sent the notification, so only this topic's are accepted.
    SES_EVENTS_TOPIC_ARN = env_str("SES_EVENTS_TOPIC_ARN", required=_BLOG_REQUIRED)
else:
    SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
    DEFAULT_FROM_EMAIL = env_str("EMAIL_FROM", "MyBlog <newsletter@myblog.localhost>")
    AWS_SES_CONFIGURATION_SET = env_str("SES_CONFIGURATION_SET", "myblog-local-mail")
    SES_EVENTS_TOPIC_ARN = env_str(
        "SES_EVENTS_TOPIC_ARN", f"arn:aws:sns:{AWS_REGION}:123456789012:myblog-local-mail-events"
    )
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The mailto: of List-Unsubscribe; a person (or a mail rule) unsubscribes what arrives there.
EMAIL_UNSUBSCRIBE_MAILTO = env_str("EMAIL_UNSUBSCRIBE_MAILTO", parseaddr(DEFAULT_FROM_EMAIL or "")[1])
# SNS notifications (django-ses's view): signatures always verified, certificates fetched only
# from SNS's own host in this region, and only from our topic.
AWS_SES_VERIFY_EVENT_SIGNATURES = True
AWS_SNS_EVENT_CERT_TRUSTED_DOMAINS = [f"sns.{AWS_REGION}.amazonaws.com"]
AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = [SES_EVENTS_TOPIC_ARN]
# A claimed welcome email not marked sent after this long is claimed again (the claimer died).
# Longer than the Lambda timeout, so a slow send is never doubled.
WELCOME_CLAIM_TIMEOUT_SECONDS = env_int("WELCOME_CLAIM_TIMEOUT_SECONDS", 900)
# At most one welcome email per address in this many hours, however often it is resubscribed.
WELCOME_EMAIL_INTERVAL_HOURS = env_int("WELCOME_EMAIL_INTERVAL_HOURS", 24)
# Subscribe form + API, per client address: "<count>/<second|minute|hour|day>".
SUBSCRIBE_THROTTLE_RATE = env_str("SUBSCRIBE_THROTTLE_RATE", "10/hour")
# The throttle counts the address AWS saw (API Gateway's sourceIp), never X-Forwarded-For, which
# clients can forge. Behind CloudFront, name its viewer header ("CloudFront-Viewer-Address") here;
# only when CloudFront is the only way in, or anyone can send that header too. Off by default.
THROTTLE_VIEWER_ADDRESS_HEADER = env_str("THROTTLE_VIEWER_ADDRESS_HEADER", "")

# "shared" is one table in the database, so every Lambda instance sees the same throttle
# counts. `manage.py createcachetable` creates it; run it wherever `migrate` runs.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_shared_cache"},
}
THROTTLE_CACHE = "shared"

# --- New posts by email (newsletter/) ------------------------------------------------------------
# The fan-out queue of infra/newsletter.yaml (QueueUrl output): a visible post is queued there in
# batches of recipients and sent by the blog function's SQS event source (docs/architecture.md, 14).
NEWSLETTER_QUEUE_URL = env_str(
    "NEWSLETTER_QUEUE_URL",
    "" if PRODUCTION else f"{AWS_ENDPOINT_URL}/123456789012/myblog-local-newsletter",
    required=_BLOG_REQUIRED,
)
# SES's maximum send rate of the account (messages per second), kept by each consumer; 0: no pause.
NEWSLETTER_SEND_RATE = env_int("NEWSLETTER_SEND_RATE", 14)

# --- To-do API (todo/) --------------------------------------------------------------------------
# Names as infra/todo.yaml declares them for Env=local; production passes the deployed ones.
TODO_TABLE = env_str("TODO_TABLE", "" if PRODUCTION else "myblog-local-todos", required=_TODO_REQUIRED)
USER_FILES_BUCKET = env_str(
    "USER_FILES_BUCKET", None if PRODUCTION else "myblog-local-user-files", required=_TODO_REQUIRED
)
# DynamoDB Accelerator (docs/architecture.md, decision 4): the cluster discovery endpoint (dax:// or daxs://).
# Unset, the API talks to DynamoDB directly (always so locally: moto has no DAX data plane).
DAX_ENDPOINT = env_str("DAX_ENDPOINT")
TODO_QUOTA = env_int("TODO_QUOTA", 1000)
# Cognito (docs/architecture.md, decision 5). Production passes the stack's ids; where they are unset (locally,
# where the endpoint generates new ids on every start) they are looked up by these names.
COGNITO_USER_POOL_ID = env_str("COGNITO_USER_POOL_ID", required=_TODO_REQUIRED)
COGNITO_APP_CLIENT_ID = env_str("COGNITO_APP_CLIENT_ID", required=_TODO_REQUIRED)
COGNITO_IDENTITY_POOL_ID = env_str("COGNITO_IDENTITY_POOL_ID", required=_TODO_REQUIRED)
COGNITO_USER_POOL_NAME = env_str("COGNITO_USER_POOL_NAME", "myblog-local-users")
COGNITO_APP_CLIENT_NAME = env_str("COGNITO_APP_CLIENT_NAME", "myblog-local-todo-app")
COGNITO_IDENTITY_POOL_NAME = env_str("COGNITO_IDENTITY_POOL_NAME", "myblog-local-files")
# The pool's public keys. Unset: <AWS_ENDPOINT_URL>/<pool id>/.well-known/jwks.json locally, the
# pool's own URL in AWS. Set it when the Lambda (in a VPC) reaches them only another way.
COGNITO_JWKS_URL = env_str("COGNITO_JWKS_URL")
# Keys fetched over plain HTTP could be swapped by anyone on the path, and urllib also reads file:
# and ftp: URLs: production takes the keys over https: or inline as a data: URL (urllib parses it).
if PRODUCTION and COGNITO_JWKS_URL and urlsplit(COGNITO_JWKS_URL).scheme.lower() not in ("https", "data"):
    raise ImproperlyConfigured(
        f"COGNITO_JWKS_URL must be an https: URL or a data: URL with the key set in production, not {COGNITO_JWKS_URL!r}."
    )
COGNITO_JWKS_MAX_AGE_SECONDS = env_int("COGNITO_JWKS_MAX_AGE_SECONDS", 24 * 3600)
COGNITO_TOKEN_LEEWAY_SECONDS = env_int("COGNITO_TOKEN_LEEWAY_SECONDS", 30)
# Each user's folder users/<sub>/ in the user-files bucket (docs/architecture.md, decision 6).
USER_FILE_MAX_BYTES = env_int("USER_FILE_MAX_BYTES", 50 * 1024 * 1024)
# Bytes per user folder, checked when the API signs an upload (the only way the phone writes there).
USER_STORAGE_QUOTA_BYTES = env_int("USER_STORAGE_QUOTA_BYTES", 100 * 1024 * 1024)
USER_FILE_UPLOAD_EXPIRES_SECONDS = env_int("USER_FILE_UPLOAD_EXPIRES_SECONDS", 900)
USER_FILE_URL_EXPIRES_SECONDS = env_int("USER_FILE_URL_EXPIRES_SECONDS", 300)
# CORS (django-cors-headers), for the to-do API's paths only. Bearer tokens, never cookies, so
# no credentials and, by default, any origin.
TODO_CORS_ORIGINS = env_list("TODO_CORS_ORIGINS", ["*"])
CORS_URLS_REGEX = r"^/api/(todos|me|files)(/.*)?$"
CORS_ALLOW_ALL_ORIGINS = "*" in TODO_CORS_ORIGINS
CORS_ALLOWED_ORIGINS = [] if CORS_ALLOW_ALL_ORIGINS else TODO_CORS_ORIGINS
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = ["authorization", "content-type", "if-match", "if-none-match"]
CORS_ALLOW_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
CORS_EXPOSE_HEADERS = ["ETag", "Link", "Location"]
CORS_PREFLIGHT_MAX_AGE = env_int("CORS_PREFLIGHT_MAX_AGE", 86400)

# --- Security -------------------------------------------------------------------------------
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind the CDN the viewer's host arrives as X-Forwarded-Host (set by cdn.yaml's function, so a
# viewer cannot choose it); it is still checked against ALLOWED_HOSTS, which must list the CDN's.
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", PRODUCTION)
# One way into the blog (myblog/core/origin.py, decision 13): CloudFront sends one of these as
# X-Origin-Verify (infra/cdn.yaml OriginSecret); anything else is refused. Comma-separated to
# rotate: old and new accepted until the distribution sends the new one. Kept in remote_env only.
CDN_ORIGIN_SECRETS = env_list("CDN_ORIGIN_SECRET", [], required=_BLOG_REQUIRED)
if PRODUCTION and any(len(secret) < 32 for secret in CDN_ORIGIN_SECRETS):
    raise ImproperlyConfigured(
        "Each CDN_ORIGIN_SECRET value must be at least 32 characters (secrets.token_urlsafe(32))."
    )
if PRODUCTION:
    # API Gateway and CloudFront speak HTTPS to the world and tell Django so.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Admin sign-in (myblog/admin_auth.py, README "Security"). django-axes counts failed sign-ins
# in the database, so every Lambda instance sees the same count, per username and client address:
# the address AWS saw (notifications/throttling.py), never X-Forwarded-For, which clients write.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "myblog.admin_auth.sign_in_address"
AXES_LOCKOUT_CALLABLE = "myblog.admin_auth.locked_out"
AXES_RESET_ON_SUCCESS = True
# A second factor (TOTP) for staff: whoever has set one up must give its code. In production every
# staff member must: a guessed, reused or phished password alone must not publish posts or export
# the subscribers' addresses. Staff without a device get only the enrolment page until they add one.
ADMIN_REQUIRE_TOTP = env_bool("ADMIN_REQUIRE_TOTP", PRODUCTION)
OTP_TOTP_ISSUER = SITE_NAME
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the TOTP devices' admin never shows a device's key
# Content-Security-Policy (django-csp 4; myblog/core/csp.py adds the AWS origins of photos and
# uploads from the settings in force). No inline scripts or styles anywhere, so no 'unsafe-inline'
# and no nonce (a nonce would be replayed by every cached copy of a page).
_ASSETS = ["'self'", *([f"https://{CDN_DOMAIN}"] if CDN_DOMAIN else [])]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": _ASSETS,
        "style-src": _ASSETS,
        "img-src": _ASSETS,
        "font-src": _ASSETS,
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Observability (myblog/core/observability.py) -------------------------------------------------
# One JSON object per log line in production (CloudWatch Logs Insights reads its fields), with the
# request id and the Lambda request id; human-readable lines locally.
LOG_FORMAT = env_choice("LOG_FORMAT", "json" if PRODUCTION else "text", ("json", "text"))
_LOG_FORMATTERS = {
    "json": "myblog.core.observability.json_formatter",
    "text": "myblog.core.observability.TextFormatter",
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "myblog.core.observability.RequestContextFilter"}},
    # Only the formatter in use: dictConfig builds every one declared (the JSON one imports Powertools).
    "formatters": {"console": {"()": _LOG_FORMATTERS[LOG_FORMAT]}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_context"], "formatter": "console"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Through the root's handler only: Django's own console handler would print each line again.
        "django": {"handlers": [], "level": "INFO"},
        "botocore": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}
# X-Ray subsegments around every AWS call. On for the stages with "xray_tracing" (their
# environment_variables say so: Lambda sets AWS_XRAY_DAEMON_ADDRESS whether tracing is active or not).
TRACING = env_bool("TRACING", False)
# Counts (emails sent/failed, renditions made/failed) as CloudWatch embedded metrics on stdout.
METRICS = env_bool("METRICS", PRODUCTION)
