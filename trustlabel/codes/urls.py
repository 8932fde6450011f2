from django.urls import path

from . import views

app_name = "codes"
urlpatterns = [
    path("orders/", views.orders, name="orders"),
    path("orders/new/", views.order_create, name="order-create"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("orders/<int:pk>/exports/", views.export_request, name="export-request"),
    path("exports/<int:pk>/download/", views.export_download, name="export-download"),
]
