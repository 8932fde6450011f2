from django.urls import path

from . import portal_views

app_name = "scans"
urlpatterns = [
    path("", portal_views.scan_log, name="log"),
    path("copies/", portal_views.suspected_copies, name="copies"),
]
