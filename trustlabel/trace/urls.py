from django.urls import path

from . import views

app_name = "trace"
urlpatterns = [
    path("orders/<int:pk>/commission/", views.commission, name="commission"),
    path("scan/", views.scan, name="scan"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:pk>/", views.alert, name="alert"),
    path("recalls/", views.recalls, name="recalls"),
    path("recalls/new/", views.recall_new, name="recall-new"),
    path("recalls/<int:pk>/", views.recall, name="recall"),
    path("public/", views.public_trace, name="public"),
    path("inspect/", views.inspect, name="inspect"),
    path("items/", views.item, name="item"),
]
