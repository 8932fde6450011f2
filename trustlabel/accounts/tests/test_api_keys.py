"""The API keys page: an organisation's administrators make and revoke its keys."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from trustlabel.accounts.models import ApiKey
from trustlabel.accounts.tests.roles import ROLES, client_for, party_for

# Every organisation's administrator manages its own keys (distributors and inspectors
# will need them for the trace API too); staff may not.
STATUS = {
    "anonymous": 302,
    "admin": 200,
    "staff": 403,
    "outsider": 200,
    "distributor": 200,
    "inspector": 200,
    "association": 200,
}


@pytest.mark.parametrize("role", ROLES)
def test_it_shows_the_page_to_administrators_only(world, role):
    response = client_for(world, role).get(reverse("accounts:api-keys"))
    assert response.status_code == STATUS[role]
    if STATUS[role] == 200:
        own_key = party_for(world, role).api_key
        assert own_key[:9].encode() in response.content  # the hint, never the whole key
        assert own_key.encode() not in response.content
        if role != "admin":
            assert world.enterprise.api_key[:9].encode() not in response.content


def new_secret(response) -> str:
    match = re.search(r'<p class="secret" id="new-secret">([^<]+)</p>', response.content.decode())
    return match.group(1) if match else None


def test_it_shows_a_new_key_once_and_the_key_works(world):
    client = client_for(world, "admin")
    response = client.post(reverse("accounts:api-keys"), {"name": "ERP", "role": "staff"})
    secret = new_secret(response)
    assert secret.startswith("tl_")
    assert response["Cache-Control"] == "no-store"
    key = ApiKey.objects.get(name="ERP")
    assert (key.organisation, key.role, key.created_by) == (
        world.enterprise.organisation,
        "staff",
        world.enterprise.user,
    )
    assert secret.encode() not in client.get(reverse("accounts:api-keys")).content
    api = Client().get("/api/v1/products", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "role": "staff"}, b"This field is required"),
        ({"name": "ERP", "role": "owner"}, b"Select a valid choice"),
        ({"name": "x" * 101, "role": "staff"}, b"at most 100 characters"),
    ],
)
def test_it_explains_a_bad_key_request_and_makes_no_key(world, data, message):
    before = ApiKey.objects.count()
    response = client_for(world, "admin").post(reverse("accounts:api-keys"), data)
    assert message in response.content
    assert new_secret(response) is None
    assert ApiKey.objects.count() == before


@pytest.mark.parametrize(("role", "status"), [("staff", 403), ("anonymous", 302)])
def test_it_lets_no_one_else_make_keys(world, role, status):
    before = ApiKey.objects.count()
    response = client_for(world, role).post(
        reverse("accounts:api-keys"), {"name": "ERP", "role": "admin"}
    )
    assert response.status_code == status
    assert ApiKey.objects.count() == before


def test_it_revokes_a_key_which_then_stops_working(world):
    key = ApiKey.objects.get(organisation=world.enterprise.organisation)
    headers = world.enterprise.api_headers()
    assert Client().get("/api/v1/products", headers=headers).status_code == 200
    client = client_for(world, "admin")
    response = client.post(reverse("accounts:revoke-api-key", args=[key.pk]))
    assert response["Location"] == reverse("accounts:api-keys")
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert b"no longer works" in client.get(response["Location"]).content
    assert Client().get("/api/v1/products", headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("role", "status"),
    [("outsider", 404), ("association", 404), ("staff", 403), ("anonymous", 302)],
)
def test_it_keeps_other_people_from_revoking_a_key(world, role, status):
    key = ApiKey.objects.get(organisation=world.enterprise.organisation)
    response = client_for(world, role).post(reverse("accounts:revoke-api-key", args=[key.pk]))
    assert response.status_code == status
    key.refresh_from_db()
    assert key.revoked_at is None


def test_it_shows_a_403_page_to_users_outside_the_enterprise_portal(world):
    response = client_for(world, "distributor").get(reverse("catalog:products"))
    assert response.status_code == 403
    assert b"Not allowed" in response.content
    assert b"Label orders" not in response.content  # no links to pages it may not open
