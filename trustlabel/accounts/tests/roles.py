"""One client per role, for tests that try every page and endpoint as everyone.

The roles: an anonymous visitor, the enterprise's admin and staff, an outsider (another
enterprise), a distributor, an inspector and the association.
"""

from django.test import Client
from django.urls import reverse

from trustlabel.accounts import actions
from trustlabel.accounts.models import User

ROLES = ["anonymous", "admin", "staff", "outsider", "distributor", "inspector", "association"]


def client_for(world, role: str) -> Client:
    """A signed-in browser of the role. It asks for English, so tests can read the text
    whatever catalogues are installed."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if role == "staff":
        client.force_login(world.enterprise_staff)
    elif role != "anonymous":
        client.force_login(party_for(world, role).user)
    return client


def status_of(role: str, statuses) -> int:
    """What `role` gets, from a row of statuses given in the order of ROLES."""
    return dict(zip(ROLES, statuses, strict=True))[role]


def get_as(world, role: str, url: str, statuses):
    """Open `url` as `role`: it gets its status from `statuses` (in the order of ROLES),
    and an anonymous visitor who is turned away is sent to sign in."""
    expected = status_of(role, statuses)
    response = client_for(world, role).get(url)
    assert response.status_code == expected, response.content[:300]
    if role == "anonymous" and expected == 302:
        assert response["Location"].startswith(reverse("accounts:login"))
    return response


def headers_for(world, role: str) -> dict:
    """API headers: a Bearer key of the role's organisation and role."""
    english = {"Accept-Language": "en"}
    if role == "anonymous":
        return english
    if role == "staff":
        _, secret = actions.do_create_api_key(
            world.enterprise.organisation, "staff key", role=User.Role.STAFF
        )
        return {**english, "Authorization": f"Bearer {secret}"}
    return {**english, **party_for(world, role).api_headers()}


def party_for(world, role: str):
    return world.enterprise if role == "admin" else world.parties()[role]


# What each role gets from the enterprise portal and API, by kind of page or endpoint.
# Reading an enterprise's object: anonymous visitors are sent to sign in (pages) or told
# to (API), the outsider finds nothing, distributors and inspectors are refused, the
# association reads.
PORTAL_READ = {
    "anonymous": 302,
    "admin": 200,
    "staff": 200,
    "outsider": 404,
    "distributor": 403,
    "inspector": 403,
    "association": 200,
}
API_READ = {**PORTAL_READ, "anonymous": 401}


# What each role gets when it asks to make something of the enterprise's (a POST that
# creates): the enterprise's own people may; another enterprise is told it does not exist;
# other kinds of organisation are refused.
ENTERPRISE_CREATES = [
    ("anonymous", 401),
    ("admin", 201),
    ("staff", 201),
    ("outsider", 404),
    ("distributor", 403),
    ("inspector", 403),
    ("association", 403),
]
