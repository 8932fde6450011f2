"""Every write to organisations, people and API keys."""

from django.db import transaction
from django.utils import timezone

from .models import ApiKey, Organisation, User


def do_create_organisation(kind: str, name: str, name_en: str = "") -> Organisation:
    return Organisation.objects.create(kind=kind, name=name, name_en=name_en)


def do_create_user(
    username: str,
    organisation: Organisation,
    role: str = User.Role.STAFF,
    password: str | None = None,
    email: str = "",
) -> User:
    user = User(username=username, organisation=organisation, role=role, email=email)
    # The association's staff work in the Django admin.
    user.is_staff = organisation.is_association
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def do_create_api_key(
    organisation: Organisation, name: str, role: str = User.Role.STAFF, created_by=None
) -> tuple[ApiKey, str]:
    """Make a key; returns the row and the secret, which is never stored or shown again."""
    secret = ApiKey.new_secret()
    key = ApiKey.objects.create(
        organisation=organisation,
        name=name,
        role=role,
        hint=secret[: len(ApiKey.PREFIX) + 6],
        digest=ApiKey.digest_of(secret),
        created_by=created_by,
    )
    return key, secret


def do_revoke_api_key(key: ApiKey) -> None:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])


def authenticate_api_key(secret: str) -> ApiKey | None:
    """The active key for a secret, or None. Marks it used at most once a minute."""
    if not secret.startswith(ApiKey.PREFIX) or len(secret) > 100:
        return None
    key = (
        ApiKey.objects.select_related("organisation")
        .filter(digest=ApiKey.digest_of(secret), revoked_at__isnull=True)
        .first()
    )
    if key is not None:
        now = timezone.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key
