from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from .api import api
from .trace.epcis_api import epcis
from .views import portal_home

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("epcis/", epcis.urls),
    path("ledger/", include("trustlabel.ledger.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("trustlabel.accounts.urls")),
    path("portal/", portal_home, name="portal-home"),
    path("portal/catalog/", include("trustlabel.catalog.urls")),
    path("portal/codes/", include("trustlabel.codes.urls")),
    path("portal/scans/", include("trustlabel.verify.portal_urls")),
    path("portal/trace/", include("trustlabel.trace.urls")),
    path("portal/regions/", include("trustlabel.regions.urls")),
    path("portal/members/", include("trustlabel.integrity.urls")),
    path("portal/integrity/", include("trustlabel.integrity.portal_urls")),
    path("integrity/", include("trustlabel.integrity.public_urls")),
    path("", include("trustlabel.verify.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
