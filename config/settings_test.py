"""Settings for the test suite: the production settings with a throwaway key and fast hashing."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("DOCUMENT_VERIFY_BASE_URL", "http://127.0.0.1:8000")

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The suite logs users in with force_login; the second-factor tests turn this on themselves.
STAFF_2FA_REQUIRED = False
# Static files straight from the apps' folders (the suite does not run collectstatic).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# The test runner empties its database with flush between transactional tests.
AUDIT_ALLOW_FLUSH = True
# No checkpoint key unless a test configures one (a demonstration key in var/ is not used).
AUDIT_CHECKPOINT_KEY = ""
# The dashboard's figures are computed on every view (each test has its own data).
DASHBOARD_CACHE_SECONDS = 0
