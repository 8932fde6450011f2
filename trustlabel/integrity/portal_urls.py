"""The portal's pages of label programmes, under /portal/integrity/: programmes,
applications and their review, certificates, announcements, benchmark enterprises and
broken-promise reports. One section per views module."""

from django.urls import path  # noqa: F401 - each section adds its paths

app_name = "programmes"
urlpatterns = [
    # --- programmes, applications, reviews (views/programmes.py, views/applications.py,
    # views/reviews.py)
    # --- certificates and batches (views/certificates.py)
    # --- announcements (views/announcements.py)
    # --- benchmark enterprises (views/benchmarks.py)
    # --- broken-promise reports (views/promises.py)
]
