"""The sign-in page: works for the right password, limits guessing."""

from django.test import Client
from django.urls import reverse

from trustlabel.conftest import PASSWORD


def sign_in(client, username, password, ip="203.0.113.5"):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_it_signs_in_with_the_right_password(world):
    response = sign_in(Client(), world.enterprise.user.username, PASSWORD)
    assert response.status_code == 302


def test_it_stops_password_guessing_from_one_address(world):
    client = Client()
    for attempt in range(10):
        assert sign_in(client, "maker", f"guess {attempt}").status_code == 200
    refused = sign_in(client, "maker", PASSWORD)
    assert refused.status_code == 429
    assert b"Too many sign-in attempts" in refused.content
    assert int(refused["Retry-After"]) > 0
    # Another address is not held up by this one.
    assert sign_in(Client(), "maker", PASSWORD, ip="198.51.100.7").status_code == 302


def test_it_stops_guessing_one_account_from_many_addresses(world):
    for attempt in range(20):
        sign_in(Client(), "maker", f"guess {attempt}", ip=f"192.0.2.{attempt}")
    assert sign_in(Client(), "maker", PASSWORD, ip="192.0.2.200").status_code == 429
    # Other accounts can still sign in.
    assert sign_in(Client(), "maker-staff", PASSWORD, ip="192.0.2.201").status_code == 302
