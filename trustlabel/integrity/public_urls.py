"""Public pages of label programmes, under /integrity/: the directory of participating
enterprises and products, certificate checks, announcements and their Atom feed, and
the consumer's "this product does not keep its promise". No sign-in; rate limited where
a stranger could make work."""

from django.urls import path  # noqa: F401 - each section adds its paths

app_name = "directory"
urlpatterns = [
    # --- the directory (views/directory.py)
    # --- certificate checks (views/certificates.py)
    # --- announcements and feed (views/announcements.py)
    # --- broken-promise reports (views/promises.py)
]
