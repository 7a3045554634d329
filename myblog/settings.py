"""Settings for MyBlog + MyToDoList.

One module for every environment: with nothing set it runs locally on SQLite and the local
moto endpoint; with DJANGO_ENV=production it reads everything from the environment and refuses
to start without its secrets.
"""

from pathlib import Path

import dj_database_url

from myblog.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DJANGO_ENV = env_str("DJANGO_ENV", "local")
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    SECRET_KEY = env_str("SECRET_KEY", required=True)
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("The environment variable ALLOWED_HOSTS is required in production.")
    DATABASE_URL = env_str("DATABASE_URL", required=True)
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
    "django.contrib.admin",
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
    "myblog",
    "media",
]

MIDDLEWARE = [
    "myblog.proxy.CdnScriptPrefixMiddleware",
    "myblog.caching.PrivateByDefaultMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "myblog.urls"
WSGI_APPLICATION = "myblog.wsgi.application"

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
                "myblog.context_processors.site",
            ],
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
    DATABASE_ROUTERS = ["myblog.db_router.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
CDN_DOMAIN = env_str("CDN_DOMAIN")
if PRODUCTION and not CDN_DOMAIN:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("The environment variable CDN_DOMAIN is required in production.")
# Where collectstatic writes the manifest of hashed names; it ships in the Lambda package.
STATIC_MANIFEST_ROOT = Path(env_str("STATIC_MANIFEST_ROOT", str(BASE_DIR / "build" / "static-manifest")))
if CDN_DOMAIN:
    STATIC_URL = f"https://{CDN_DOMAIN}/static/"
    _staticfiles = {
        "BACKEND": "myblog.staticfiles.CdnManifestStaticStorage",
        "OPTIONS": {"location": "static", "custom_domain": CDN_DOMAIN, "url_protocol": "https:"},
    }
else:
    STATIC_URL = "/static/"
    # The raw value: Django's settings.STATIC_URL freezes the first request's script prefix.
    _staticfiles = {"BACKEND": "myblog.staticfiles.PrefixedStaticFilesStorage", "OPTIONS": {"base_url": STATIC_URL}}
STORAGES = {
    # Media (photo originals and renditions) live in the private media bucket; see the AWS section.
    "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    "staticfiles": _staticfiles,
}

# --- HTTP caching (DESIGN decision 9) -------------------------------------------------------
# Browsers keep a public page for CACHE_MAX_AGE seconds; CloudFront and API Gateway for
# CACHE_S_MAXAGE. After that they revalidate with If-None-Match / If-Modified-Since.
CACHE_MAX_AGE = env_int("CACHE_MAX_AGE", 60)
CACHE_S_MAXAGE = env_int("CACHE_S_MAXAGE", 600)
POSTS_PER_PAGE = env_int("POSTS_PER_PAGE", 10)

# --- AWS (DESIGN decision 1) ------------------------------------------------------------------
AWS_REGION = env_str("AWS_REGION", env_str("AWS_DEFAULT_REGION", "us-east-1"))
# Locally every AWS call goes to the moto server; in production boto3's defaults apply.
AWS_ENDPOINT_URL = env_str("AWS_ENDPOINT_URL", None if PRODUCTION else "http://127.0.0.1:4566")
# Locally moto accepts any credentials; in production they come from the Lambda role.
AWS_ACCESS_KEY_ID = env_str("AWS_ACCESS_KEY_ID", None if PRODUCTION else "testing")
AWS_SECRET_ACCESS_KEY = env_str("AWS_SECRET_ACCESS_KEY", None if PRODUCTION else "testing")
AWS_TIMEOUT_SECONDS = env_int("AWS_TIMEOUT_SECONDS", 3)
# Declared in infra/storage.yaml; the local name is what infra.bootstrap creates.
MEDIA_BUCKET = env_str("MEDIA_BUCKET", None if PRODUCTION else "myblog-local-media")
if PRODUCTION and not MEDIA_BUCKET:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("The environment variable MEDIA_BUCKET is required in production.")

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
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "myblog.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MyBlog API",
    "DESCRIPTION": "Public, read-only API of MyBlog. Responses are cached: use ETag / If-None-Match.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security -------------------------------------------------------------------------------
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind the CDN the viewer's host arrives as X-Forwarded-Host (set by cdn.yaml's function, so a
# viewer cannot choose it); it is still checked against ALLOWED_HOSTS, which must list the CDN's.
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", PRODUCTION)
if PRODUCTION:
    # API Gateway and CloudFront speak HTTPS to the world and tell Django so.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"botocore": {"level": "WARNING"}, "urllib3": {"level": "WARNING"}},
}
