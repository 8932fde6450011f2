from django.urls import path

from . import views

app_name = "regions"
urlpatterns = [
    path("", views.distributors, name="distributors"),
    path("<int:pk>/", views.organisation_regions, name="organisation"),
    path("<int:pk>/add/", views.add_region, name="add"),
    path("<int:pk>/remove/", views.remove_region, name="remove"),
]
