"""Every write to organisations, people and API keys."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from .models import ApiKey, Organisation, User


def do_create_organisation(
    kind: str, name: str, name_en: str = "", gln: str = "", region: str = ""
) -> Organisation:
    organisation = Organisation(kind=kind, name=name, name_en=name_en, gln=gln, region=region)
    organisation.full_clean()
    organisation.save()
    if organisation.is_enterprise:
        from trustlabel.integrity.actions import ensure_member  # integrity builds on accounts

        ensure_member(organisation)
    return organisation


def do_create_user(
    username: str,
    organisation: Organisation,
    role: str = User.Role.STAFF,
    password: str | None = None,
    email: str = "",
) -> User:
    user = User(username=username, organisation=organisation, role=role, email=email)
    # The association's people work in the Django admin: its admins with every right,
    # its staff with the rights of the association staff group.
    user.is_staff = organisation.is_association
    user.is_superuser = organisation.is_association and role == User.Role.ADMIN
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    if organisation.is_association and not user.is_superuser:
        user.groups.add(association_staff_group())
    return user


ASSOCIATION_APPS = ("accounts", "catalog", "codes", "verify")
# Association staff may read everything and look after organisations and people.
ASSOCIATION_CHANGES = {
    "accounts.add_organisation",
    "accounts.change_organisation",
    "accounts.add_user",
    "accounts.change_user",
    "accounts.change_apikey",
}


def association_staff_group() -> Group:
    group, created = Group.objects.get_or_create(name="Association staff")
    if created:
        perms = Permission.objects.filter(content_type__app_label__in=ASSOCIATION_APPS)
        group.permissions.set(
            p
            for p in perms.select_related("content_type")
            if p.codename.startswith("view_")
            or f"{p.content_type.app_label}.{p.codename}" in ASSOCIATION_CHANGES
        )
    return group


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
