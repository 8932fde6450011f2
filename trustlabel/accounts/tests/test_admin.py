"""The association's back office is the Django admin: nobody else gets in."""

import pytest
from django.test import Client

from trustlabel.accounts import actions
from trustlabel.accounts.models import User


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("association", 200),
        ("enterprise", 302),
        ("outsider", 302),
        ("distributor", 302),
        ("inspector", 302),
    ],
)
def test_it_lets_only_the_association_into_the_admin(world, role, status):
    response = world.parties()[role].client().get("/admin/catalog/product/")
    assert response.status_code == status
    if status == 302:
        assert "/admin/login/" in response["Location"]


def test_it_sends_strangers_to_the_admin_sign_in(world):
    response = Client().get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_it_gives_association_staff_reading_rights_only(world):
    staff = actions.do_create_user(
        "assoc-staff", world.association.organisation, role=User.Role.STAFF, password="x"
    )
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/catalog/product/").status_code == 200
    assert client.get(f"/admin/catalog/product/{world.product.pk}/change/").status_code == 200
    assert client.get("/admin/catalog/product/add/").status_code == 403
    assert client.get("/admin/codes/labelorder/").status_code == 200
    assert client.get("/admin/codes/keyversion/").status_code == 200
    assert client.get("/admin/accounts/organisation/add/").status_code == 200
