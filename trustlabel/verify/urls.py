from django.urls import path, re_path

from . import views

app_name = "verify"
urlpatterns = [
    path("", views.home, name="home"),
    path("verify", views.verify_form, name="form"),
    path("verify/place", views.share_place, name="place"),
    path("reports/<int:pk>.pdf", views.inspection_report, name="report"),
    # GS1 Digital Link: /01/<GTIN-14>/21/<serial>, the content of every label's QR code.
    re_path(r"^01/(?P<gtin>\d{14})/21/(?P<serial>[^/]{1,20})$", views.digital_link, name="link"),
]
