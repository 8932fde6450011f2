from django.urls import path

from . import views

app_name = "trace"
urlpatterns = [
    path("orders/<int:pk>/commission/", views.commission, name="commission"),
]
