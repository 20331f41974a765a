"""Django settings, read from the environment (importing them writes nothing).

- ``JILIANG_DATA_DIR``: where the embedded database, the secret key and uploads live
  (default: the per-user data folder).
- ``DATABASE_URL``: ``sqlite:///path`` (default, a file in the data folder, WAL mode) or
  ``postgres://user@host:port/name`` for production.
- ``SECRET_KEY``: taken from the environment, else read from the data folder, where
  ``jiliang migrate`` generates it once (jiliang.instance).
- ``JILIANG_CACHE_URL`` (or ``REDIS_URL``): the shared cache of login and API throttles,
  ``redis://host:6379/0``; default: a table in the database (jiliang.cache).
- ``JILIANG_HTTPS``: "1" when the site is served over HTTPS (production, usually behind a
  TLS-terminating proxy that sets X-Forwarded-Proto): secure cookies, HSTS, redirect to
  HTTPS. Off by default, as ``jiliang serve`` itself speaks plain HTTP.
- ``JILIANG_NUM_PROXIES``: reverse proxies in front of the server, whose X-Forwarded-For
  names the client address the throttles count (default 0: REMOTE_ADDR).
- ``JILIANG_DEBUG``: "1" for development.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from platformdirs import user_data_dir

from jiliang.cache import caches_from_environment
from jiliang.core.cases import TRANSITIONS as CASE_ACTIONS
from jiliang.instance import read_secret_key

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("JILIANG_DATA_DIR") or user_data_dir("jiliang", appauthor=False))
# The folder only (SQLite opens its file in it before any command can run); its files are
# made by `jiliang migrate`.
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = read_secret_key(DATA_DIR)
DEBUG = os.environ.get("JILIANG_DEBUG", "") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("JILIANG_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served by the app, no CDN
    "csp",
    "jiliang.registry",
    "jiliang.accounts",
    "jiliang.audit",
    "jiliang.witness",  # the centre's transparency log of provinces' ledger checkpoints
    "jiliang.authorisation",
    "jiliang.assessment",
    "jiliang.verification",
    "jiliang.calculations",
    "jiliang.traceability",
    "jiliang.certificates",
    "jiliang.comparisons",
    "jiliang.supervision.telemetry",
    "jiliang.supervision.prepack",
    "jiliang.checks",
    "jiliang.cases",
    "jiliang.inspections",
    "jiliang.energy",
    "jiliang.institutions",
    "jiliang.matching",
    "jiliang.credit",
    "jiliang.intervals",
    "jiliang.refdata",
    "jiliang.cmc",
    "jiliang.plans",
    "jiliang.console",
    "jiliang.portal",
    "jiliang.federation",
]

MIDDLEWARE = [
    "jiliang.gcfreeze.FreezeAfterWarmupMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "jiliang.audit.middleware.AuditContextMiddleware",  # the signed-in user is the ledger's actor
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "jiliang.cspcache.CachedPolicyMiddleware",  # django-csp's, the policy built once
]

ROOT_URLCONF = "jiliang.urls"
WSGI_APPLICATION = "jiliang.wsgi.application"

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
            ],
        },
    },
]


def _database() -> dict:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'jiliang.sqlite3'}"
    # Connections are kept between requests (a new SQLite connection starts with a cold cache).
    config = dj_database_url.parse(url, conn_max_age=60)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers (the web server) run while a writer (an import) works;
        # IMMEDIATE transactions avoid "database is locked" on write upgrades.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"  # made by `jiliang migrate`; WhiteNoise serves from the finders
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"

# The pages' sign-in for every role (the admin's login admits staff only).
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "console:dashboard"
LOGOUT_REDIRECT_URL = "registry:home"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "jiliang.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "jiliang.registry.api.renderers.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "jiliang.registry.api.pagination.RegistryCursorPagination",
    "PAGE_SIZE": 50,
    # 0, not DRF's default None: with None DRF keys the anonymous rate on the client's own
    # X-Forwarded-For header, which any client can vary to escape it.
    "NUM_PROXIES": int(os.environ.get("JILIANG_NUM_PROXIES", "0")),
    "DEFAULT_THROTTLE_CLASSES": [
        "jiliang.accounts.throttling.AnonWindowThrottle",
        "jiliang.accounts.throttling.UserWindowThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("JILIANG_API_ANON_RATE", "120/minute"),
        "user": os.environ.get("JILIANG_API_USER_RATE", "6000/minute"),
        "login": os.environ.get("JILIANG_API_LOGIN_RATE", "20/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Jiliang API",
    "DESCRIPTION": "计量 — registry, traceability, verification and certificates of a measurement system.",
    "VERSION": "0.1.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    # Every operation documents DRF's error answers (400, 401, 403, 404, 429) too.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "jiliang.openapi.document_error_responses"],
    # Several models have a `status` or `kind`: name each enum after its model's choices.
    "ENUM_NAME_OVERRIDES": {
        "AlertStatusEnum": "jiliang.supervision.telemetry.models.Alert.Status",
        "CalibrationEventKindEnum": "jiliang.registry.models.CalibrationEvent.Kind",
        "CertificateKindEnum": "jiliang.certificates.models.Certificate.Kind",
        "CheckAlertStatusEnum": "jiliang.checks.models.CheckAlert.Status",
        "CreditRequestStatusEnum": "jiliang.credit.models.Objection.Status",
        "CheckChartPanelEnum": ["location", "dispersion"],
        "CheckPlanBasisEnum": "jiliang.checks.models.CheckPlan.Basis",
        "CheckPlanChartEnum": "jiliang.checks.models.CheckPlan.Chart",
        "CheckRecordKindEnum": "jiliang.checks.models.CheckRecord.Kind",
        "CertificateStatusEnum": "jiliang.certificates.models.Certificate.Status",
        "ComparisonKindEnum": "jiliang.comparisons.models.Comparison.Kind",
        "ComparisonStatusEnum": "jiliang.comparisons.models.Comparison.Status",
        "FollowUpActionStatusEnum": "jiliang.comparisons.models.FollowUpAction.Status",
        "InspectionKindEnum": "jiliang.supervision.prepack.models.Inspection.Kind",
        "InspectionStatusEnum": "jiliang.supervision.prepack.models.Inspection.Status",
        "InspectionTargetKindEnum": "jiliang.inspections.models.TargetKind",
        "RandomDrawStatusEnum": "jiliang.inspections.models.Draw.Status",
        "FieldInspectionStatusEnum": "jiliang.inspections.models.Inspection.Status",
        "FieldInspectionOutcomeEnum": "jiliang.inspections.models.Inspection.Outcome",
        "InstrumentStatusEnum": "jiliang.registry.models.Instrument.Status",
        "LevelEnum": "jiliang.registry.models.Region.Level",
        "MeasurementStandardStatusEnum": "jiliang.registry.models.MeasurementStandard.Status",
        "NoticeKindEnum": "jiliang.verification.models.Notice.Kind",
        "OrganisationKindEnum": "jiliang.registry.models.Organisation.Kind",
        "QualificationKindEnum": "jiliang.registry.models.Qualification.Kind",
        "ReferenceMaterialLevelEnum": "jiliang.registry.models.ReferenceMaterial.Level",
        "RegistrationStatusEnum": "jiliang.verification.models.Registration.Status",
        "SigningKeyStatusEnum": "jiliang.certificates.models.SigningKey.Status",
        "SpecificationKindEnum": "jiliang.registry.models.Specification.Kind",
        "SpecificationStatusEnum": "jiliang.registry.models.Specification.Status",
        "AssessmentApplicationKindEnum": "jiliang.assessment.models.Application.Kind",
        "AssessmentApplicationStatusEnum": "jiliang.assessment.models.Application.Status",
        "AssessmentFindingStatusEnum": "jiliang.assessment.models.Finding.Status",
        "StandardCertificateStatusEnum": "jiliang.assessment.models.StandardCertificate.Status",
        "ChangeFilingKindEnum": "jiliang.assessment.models.ChangeFiling.Kind",
        "ChangeFilingStatusEnum": "jiliang.assessment.models.ChangeFiling.Status",
        "ItemResultPhaseEnum": "jiliang.assessment.models.ItemResult.Phase",
        "EnforcementCaseStatusEnum": "jiliang.cases.models.Case.Status",
        "EnforcementCaseSourceEnum": "jiliang.cases.models.Case.Source",
        "EnforcementCaseViolationEnum": "jiliang.cases.models.Case.Violation",
        "CaseEvidenceKindEnum": "jiliang.cases.models.Evidence.Kind",
        "CaseActionEnum": list(CASE_ACTIONS),
    },
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# The shared cache of throttle counters (jiliang.cache): every worker sees the same counts.
CACHES = caches_from_environment(os.environ)

# ---------------------------------------------------------------- transport security
# Behind HTTPS (JILIANG_HTTPS=1), `python -m django check --deploy` passes clean (a test runs it).
HTTPS = os.environ.get("JILIANG_HTTPS", "") == "1"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("JILIANG_HSTS_SECONDS", str(365 * 24 * 3600))) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS and os.environ.get("JILIANG_HSTS_SUBDOMAINS", "1") == "1"
# The preload directive only consents to a listing the operator must still request
# (hstspreload.org); JILIANG_HSTS_PRELOAD=0 withholds it (check --deploy then warns W021).
SECURE_HSTS_PRELOAD = HTTPS and os.environ.get("JILIANG_HSTS_PRELOAD", "1") == "1"
if HTTPS and int(os.environ.get("JILIANG_NUM_PROXIES", "0")):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp: Django 5.2 has none built in; 6.0 will). Scripts
# only from the site itself (htmx is a file under /static/; no page has an inline script
# or event-handler attribute). Styles allow 'unsafe-inline': the pages' <style> blocks,
# style attributes, htmx's indicator styles and the inline SVG charts and QR codes use them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# ---------------------------------------------------------------- logging
# To stderr, one line a record. The access log (one line a request) is the server's:
# gunicorn's under `jiliang serve` (jiliang.server), runserver's "django.server" in development.
# Refused requests (4xx) are logged by "django.request" at WARNING, server errors at ERROR
# with their traceback.
LOG_LEVEL = os.environ.get("JILIANG_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        "jiliang": {"level": LOG_LEVEL},
        "django.request": {"level": "WARNING"},
        "django.server": {"level": "INFO"},
    },
}

# Validity of a measurement-standard assessment certificate (计量标准考核证书), in years: 5 under
# 计量标准考核办法 as revised by 市场监管总局令第31号 (2020) and JJF 1033-2023 (it was 4 before).
JILIANG_STANDARD_CERTIFICATE_YEARS = int(os.environ.get("JILIANG_STANDARD_CERTIFICATE_YEARS", "5"))
# The holder applies for the re-examination (复查考核) this many months before the certificate
# expires (计量标准考核办法 第十六条; JJF 1033-2023 §5.1): reminders start then.
JILIANG_STANDARD_REEXAMINATION_MONTHS = int(os.environ.get("JILIANG_STANDARD_REEXAMINATION_MONTHS", "6"))
# Measurement-standard assessment (jiliang.assessment), deadlines in working days (工作日,
# jiliang.core.workdays): the authority accepts a filed application or says at once what is
# missing within 5 (计量标准考核办法; 行政许可法 第三十二条), decides within 10 after the
# evaluation (审批; 行政许可法 第四十二条 allows 20); the applicant answers a finding within the
# time the assessors set (JJF 1033-2023 §5.3), 15 unless they set another (the platform's
# default). The evaluation's own span is calendar days (the platform's choice: no text found).
# JILIANG_HOLIDAYS_FILE adds the State Council's holiday notices of years the platform does
# not ship (the shape of jiliang/core/data/public_holidays_cn.json).
JILIANG_ASSESSMENT_ACCEPTANCE_WORKING_DAYS = int(os.environ.get("JILIANG_ASSESSMENT_ACCEPTANCE_WORKING_DAYS", "5"))
JILIANG_ASSESSMENT_DECISION_WORKING_DAYS = int(os.environ.get("JILIANG_ASSESSMENT_DECISION_WORKING_DAYS", "10"))
JILIANG_ASSESSMENT_RECTIFICATION_WORKING_DAYS = int(os.environ.get("JILIANG_ASSESSMENT_RECTIFICATION_WORKING_DAYS", "15"))
JILIANG_HOLIDAYS_FILE = os.environ.get("JILIANG_HOLIDAYS_FILE", "")
JILIANG_ASSESSMENT_EVALUATION_DAYS = int(os.environ.get("JILIANG_ASSESSMENT_EVALUATION_DAYS", "60"))
JILIANG_ASSESSMENT_REMINDER_DAYS = tuple(
    int(d) for d in os.environ.get("JILIANG_ASSESSMENT_REMINDER_DAYS", "30,7,1").split(",") if d.strip()
)
# Prepackaged goods: an inspection is judged by the JJF 1070 edition in force on its date; when
# that edition's tables are not shipped (JJF 1070-2023 today), "provisional" judges under the
# previous edition and marks the result so, "refuse" refuses the inspection.
JILIANG_PREPACK_WITHOUT_TABLES = os.environ.get("JILIANG_PREPACK_WITHOUT_TABLES", "provisional")
# Coverage ledger: the ancestor levels allowed to serve a region's items in the 省域 figure
# (JSON, e.g. {"county": ["city"], "city": ["province"]}); the 省级以下 figure never uses it.
if os.environ.get("JILIANG_COVERAGE_FALLBACK"):
    JILIANG_COVERAGE_FALLBACK = json.loads(os.environ["JILIANG_COVERAGE_FALLBACK"])
# The algorithm a new platform root CA (`jiliang certificate ca init`) and so every key it
# issues use for DCCs and certificate PDFs: `ecdsa-p256` (ECDSA P-256 / SHA-256) or `sm2-sm3`
# (SM2 / SM3, GB/T 32918 and GB/T 32905, as Chinese government electronic certificates use).
JILIANG_SIGNATURE_ALGORITHM = os.environ.get("JILIANG_SIGNATURE_ALGORITHM", "ecdsa-p256")
# The platform's public address: the check URL and QR code printed on certificate PDFs
# (signed once at issue, so never the host of whichever request happened to come first).
JILIANG_PUBLIC_URL = os.environ.get("JILIANG_PUBLIC_URL", "http://localhost:8000")
# How long a calibration (校准) of an instrument that is not a standard's device counts as a
# good link in a chain when its certificate states no recalibration date: a calibration has
# no validity (JJF 1071-2010), the interval is the user's to set (JJF 1139), so the platform
# needs one by configuration (registry.graph.good_until_days).
JILIANG_DEFAULT_RECALIBRATION_MONTHS = int(os.environ.get("JILIANG_DEFAULT_RECALIBRATION_MONTHS", "12"))
# Stability and in-service checks (jiliang.checks): days an out-of-control alert waits for the
# holder's answer before it goes to the supervising bureau (a plan may set its own). No text
# fixes it; JJF 1033-2023 asks the holder to act on a check out of control, this is the
# platform's choice of when the bureau hears of it.
JILIANG_CHECK_ALERT_ESCALATION_DAYS = int(os.environ.get("JILIANG_CHECK_ALERT_ESCALATION_DAYS", "14"))
# Enforcement cases (jiliang.cases, periods in jiliang.core.cases.Terms): 立案 decided within
# 15 working days of the clue (市场监督管理行政处罚程序规定 第十八条); the decision within 90 days of
# 立案 (行政处罚法 第六十条; 程序规定 第六十四条), extended once by 30 with the 负责人's approval;
# the party states or asks for a hearing within 5 days of the notice (行政处罚法 第六十四条: 五日;
# 程序规定: 五个工作日, the platform counts working days, the longer); pays within 15 days
# (行政处罚法 第六十七条); publication within 20 working days of the decision (市场监督管理
# 行政处罚信息公示规定). Reminders at these days before each deadline.
JILIANG_CASE_FILING_WORKING_DAYS = int(os.environ.get("JILIANG_CASE_FILING_WORKING_DAYS", "15"))
JILIANG_CASE_DECISION_DAYS = int(os.environ.get("JILIANG_CASE_DECISION_DAYS", "90"))
JILIANG_CASE_EXTENSION_DAYS = int(os.environ.get("JILIANG_CASE_EXTENSION_DAYS", "30"))
JILIANG_CASE_STATEMENT_WORKING_DAYS = int(os.environ.get("JILIANG_CASE_STATEMENT_WORKING_DAYS", "5"))
JILIANG_CASE_PAYMENT_DAYS = int(os.environ.get("JILIANG_CASE_PAYMENT_DAYS", "15"))
JILIANG_CASE_PUBLICATION_WORKING_DAYS = int(os.environ.get("JILIANG_CASE_PUBLICATION_WORKING_DAYS", "20"))
JILIANG_CASE_REMINDER_DAYS = tuple(
    int(d) for d in os.environ.get("JILIANG_CASE_REMINDER_DAYS", "7,3,1,0").split(",") if d.strip()
)
# Random inspections (jiliang.inspections): results on the portal within 20 working days of
# the inspection (企业信息公示暂行条例 第六条); the working days of a rectification order (责令
# 限期整改: the texts set no number; our choice); the years after a former employment during
# which an officer is still excluded from the organisation (回避, 行政处罚法 第四十三条 "其他关系";
# 3 years after 公务员法 第一百零七条's longest cooling-off period, our choice).
JILIANG_INSPECTION_PUBLICATION_WORKING_DAYS = int(os.environ.get("JILIANG_INSPECTION_PUBLICATION_WORKING_DAYS", "20"))
JILIANG_INSPECTION_RECTIFICATION_WORKING_DAYS = int(os.environ.get("JILIANG_INSPECTION_RECTIFICATION_WORKING_DAYS", "10"))
JILIANG_INSPECTION_FORMER_EMPLOYMENT_YEARS = int(os.environ.get("JILIANG_INSPECTION_FORMER_EMPLOYMENT_YEARS", "3"))
# Energy metering reviews (jiliang.energy): the working days a unit is given to rectify the
# findings (132号令 第十八条 责令限期改正 and JJF 1356-2012 第9章 set no number; ours: about six
# weeks, time to buy, install and have verified a missing meter).
JILIANG_ENERGY_RECTIFICATION_WORKING_DAYS = int(os.environ.get("JILIANG_ENERGY_RECTIFICATION_WORKING_DAYS", "30"))
# Requests after which a server process freezes its warmed-up objects out of the garbage
# collector's full passes (jiliang.gcfreeze); 0 never.
JILIANG_GC_FREEZE_AFTER = int(os.environ.get("JILIANG_GC_FREEZE_AFTER", "200"))
# Federation (provinces and the national data centre over NATS JetStream, jiliang.federation):
# JILIANG_MODE=national makes this instance the national centre (国家计量数据中心, named in issue 26
# after 计量发展规划（2021—2035年）, 国发〔2021〕37号; the clause itself not confirmed here);
# a province names its GB/T 2260 code (two digits) and, optionally, the credit code of the
# institution whose seal key signs its change records.
JILIANG_NATIONAL = os.environ.get("JILIANG_MODE", "") == "national"
JILIANG_PROVINCE = os.environ.get("JILIANG_PROVINCE", "")
JILIANG_FEDERATION_INSTITUTION = os.environ.get("JILIANG_FEDERATION_INSTITUTION", "")
