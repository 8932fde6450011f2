"""Settings for the test suite: the real settings with test secrets and a scratch var/."""

import os
import tempfile

from trustlabel.ledger.note import generate_key

# Tests never read the developer's or the Makefile's key files.
for name in ("SECRET_KEY_FILE", "TRUSTLABEL_MASTER_KEY_FILE"):
    os.environ.pop(name, None)
os.environ["SECRET_KEY"] = "test-only-secret-key-not-for-production"  # noqa: S105
os.environ["TRUSTLABEL_MASTER_KEY"] = "11" * 32
os.environ.setdefault("TRUSTLABEL_VAR_DIR", tempfile.mkdtemp(prefix="trustlabel-test-"))
os.environ["TRUSTLABEL_BASE_URL"] = "https://verify.example.org"
os.environ["DEBUG"] = "false"
# A ledger key made for this run (the log's name is what the checkpoints' origin line says).
os.environ.pop("TRUSTLABEL_LEDGER_KEY_FILE", None)
os.environ["TRUSTLABEL_LEDGER_KEY"] = generate_key("verify.example.org/ledger")[0]

from trustlabel.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast in tests only
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise looks for it
