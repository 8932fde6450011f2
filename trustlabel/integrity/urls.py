from django.urls import path

from .views import members

app_name = "integrity"
urlpatterns = [
    path("", members.members, name="members"),
    path("mine/", members.own_member, name="mine"),
    path("<int:pk>/", members.member, name="member"),
    path("<int:pk>/edit/", members.member_edit, name="member-edit"),
]
