import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trustlabel.settings")
django_application = get_wsgi_application()

# Checks (POST /api/v1/verify) take a lean path; everything else is Django's.
from trustlabel.verify.fastpath import VerifyFastPath  # noqa: E402 - needs Django set up

application = VerifyFastPath(django_application)
