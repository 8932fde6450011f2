"""Public pages of label programmes, under /integrity/: the directory of participating
enterprises and products, certificate checks, announcements and their Atom feed, and
the consumer's "this product does not keep its promise". No sign-in; rate limited where
a stranger could make work."""

from django.urls import path

from .feeds import AnnouncementFeed  # announcements
from .views import (
    announcements,
    certificates,
    directory,
    promises,
)

app_name = "directory"
urlpatterns = [
    # --- the directory (views/directory.py)
    path("", directory.enterprises, name="enterprises"),
    path("products/", directory.products, name="products"),
    path("enterprises/<int:pk>/", directory.enterprise, name="enterprise"),
    path("products/<int:pk>/", directory.product, name="product"),
    path("commitments/<int:pk>.json", directory.commitment, name="commitment"),
    # --- certificate checks (views/certificates.py)
    path("certificates/<str:number>/", certificates.check, name="certificate"),
    path("certificates/<str:number>/pdf/", certificates.public_pdf, name="certificate-pdf"),
    # --- announcements and feed (views/announcements.py)
    path("announcements/", announcements.public_list, name="announcements"),
    path("announcements/feed/", AnnouncementFeed(), name="announcement-feed"),
    path("announcements/<int:pk>/", announcements.public_detail, name="announcement"),
    path(
        "announcements/attachments/<int:pk>/",
        announcements.public_attachment,
        name="announcement-attachment",
    ),
    # --- broken-promise reports (views/promises.py)
    path(
        "promises/<int:application>/report/",
        promises.report,
        name="promise-report",
    ),
    path("promises/thanks/", promises.thanks, name="promise-thanks"),
]
