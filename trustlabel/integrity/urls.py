from django.urls import path

from . import views

app_name = "integrity"
urlpatterns = [
    path("", views.members, name="members"),
    path("mine/", views.own_member, name="mine"),
    path("<int:pk>/", views.member, name="member"),
    path("<int:pk>/edit/", views.member_edit, name="member-edit"),
]
