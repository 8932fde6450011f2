"""The portal's pages of label programmes, under /portal/integrity/: programmes,
applications and their review, certificates, announcements, benchmark enterprises and
broken-promise reports. One section per views module."""

from django.urls import path

from .views import (
    announcements,
    applications,
    benchmarks,
    certificates,
    programmes,
    promises,
    reviews,
)

app_name = "programmes"
urlpatterns = [
    # --- programmes, applications, reviews (views/programmes.py, views/applications.py,
    # views/reviews.py)
    path("programmes/", programmes.programmes, name="programmes"),
    path("programmes/new/", programmes.programme_edit, name="programme-new"),
    path("programmes/<int:pk>/", programmes.programme, name="programme"),
    path("programmes/<int:pk>/edit/", programmes.programme_edit, name="programme-edit"),
    path("applications/", applications.applications, name="applications"),
    path(
        "applications/new/<int:programme>/",
        applications.application_create,
        name="application-new",
    ),
    path("applications/<int:pk>/", applications.application, name="application"),
    path("applications/<int:pk>/commitment/", applications.commitment, name="commitment"),
    path("applications/<int:pk>/products/", applications.products, name="products"),
    path(
        "applications/<int:pk>/products/<int:covered>/standards/new/",
        applications.standard,
        name="standard-new",
    ),
    path(
        "applications/<int:pk>/products/<int:covered>/standards/<int:standard>/",
        applications.standard,
        name="standard",
    ),
    path(
        "applications/<int:pk>/products/<int:covered>/standards/<int:standard>/remove/",
        applications.standard_remove,
        name="standard-remove",
    ),
    path(
        "applications/<int:pk>/standards/<int:standard>/text/",
        applications.standard_text,
        name="standard-text",
    ),
    path("applications/<int:pk>/documents/", applications.documents, name="documents"),
    path(
        "applications/<int:pk>/documents/<int:document>/",
        applications.document_file,
        name="document",
    ),
    path(
        "applications/<int:pk>/documents/<int:document>/remove/",
        applications.document_remove,
        name="document-remove",
    ),
    path("applications/<int:pk>/submit/", applications.submit, name="submit"),
    path("applications/<int:pk>/withdraw/", applications.withdraw, name="withdraw"),
    path("applications/<int:pk>/revise/", applications.revise, name="revise"),
    path("applications/<int:pk>/review/", reviews.review, name="review"),
    path("reviews/", reviews.reviews, name="reviews"),
    # --- certificates and batches (views/certificates.py)
    path("certificates/", certificates.certificates, name="certificates"),
    path("certificates/<int:pk>/", certificates.certificate, name="certificate"),
    path("certificates/<int:pk>/pdf/", certificates.certificate_pdf, name="certificate-pdf"),
    path("certificates/batches/", certificates.batches, name="certificate-batches"),
    path("certificates/batches/<int:pk>/", certificates.batch, name="certificate-batch"),
    # --- announcements (views/announcements.py)
    path("announcements/", announcements.announcements, name="announcements"),
    path("announcements/new/", announcements.announcement_new, name="announcement-new"),
    path(
        "announcements/<int:pk>/edit/",
        announcements.announcement_edit,
        name="announcement-edit",
    ),
    path(
        "announcements/<int:pk>/attachments/",
        announcements.attachment_add,
        name="announcement-attach",
    ),
    path(
        "announcements/<int:pk>/publish/",
        announcements.announcement_publish,
        name="announcement-publish",
    ),
    path(
        "announcements/<int:pk>/delete/",
        announcements.announcement_delete,
        name="announcement-delete",
    ),
    path(
        "announcements/attachments/<int:pk>/",
        announcements.attachment_check,
        name="announcement-attachment",
    ),
    path(
        "announcements/attachments/<int:pk>/remove/",
        announcements.attachment_remove,
        name="announcement-attachment-remove",
    ),
    # --- benchmark enterprises (views/benchmarks.py)
    path("benchmarks/", benchmarks.benchmarks, name="benchmarks"),
    path("benchmarks/<int:pk>/", benchmarks.benchmark, name="benchmark"),
    path("benchmarks/<int:pk>/remove/", benchmarks.remove_benchmark, name="benchmark-remove"),
    # --- broken-promise reports (views/promises.py)
    path("promise-reports/", promises.reports, name="promise-reports"),
]
