from django.urls import path, re_path

from . import views

app_name = "ledger"
urlpatterns = [
    path("checkpoint", views.checkpoint, name="checkpoint"),
    path("key", views.key, name="key"),
    re_path(r"^tile/(?P<path>[0-9a-z./]{1,200})$", views.tile, name="tile"),
    path("entries/<int:index>", views.entry, name="entry"),
    path("entries/<int:index>/proof", views.proof, name="proof"),
    path("consistency", views.consistency, name="consistency"),
]
