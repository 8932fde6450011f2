"""Who is asking, and what they may see.

Every page and API handler turns its request into an `Actor` and asks these functions;
no view decides visibility on its own. An enterprise sees its own data; the association
sees everything; nobody sees another enterprise's data.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from .models import ApiKey, Organisation, User


@dataclass(frozen=True)
class Actor:
    organisation: Organisation
    role: str
    user: User | None = None
    api_key: ApiKey | None = None

    @classmethod
    def of_user(cls, user) -> "Actor | None":
        if not user.is_authenticated or user.organisation_id is None or not user.is_active:
            return None
        return cls(organisation=user.organisation, role=user.role, user=user)

    @classmethod
    def of_api_key(cls, key: ApiKey) -> "Actor":
        return cls(organisation=key.organisation, role=key.role, api_key=key)

    @property
    def is_association(self) -> bool:
        return self.organisation.is_association

    @property
    def is_enterprise(self) -> bool:
        return self.organisation.is_enterprise

    @property
    def is_distributor(self) -> bool:
        return self.organisation.is_distributor

    @property
    def is_inspector(self) -> bool:
        return self.organisation.kind == Organisation.Kind.INSPECTOR

    @property
    def is_admin(self) -> bool:
        return self.role == User.Role.ADMIN

    def can_see(self, organisation_id: int) -> bool:
        return self.is_association or self.organisation.pk == organisation_id

    def can_manage(self, organisation_id: int) -> bool:
        """Write access to an enterprise's catalogue and orders: its own people only."""
        return self.organisation.pk == organisation_id and self.is_enterprise

    def can_export(self, organisation_id: int) -> bool:
        """Print files hold every secret code of an order: the enterprise's admin only."""
        return self.is_admin and self.can_manage(organisation_id)

    def label(self) -> str:
        who = self.user.username if self.user else f"key:{self.api_key.hint}"
        return f"{who}@{self.organisation.pk}"


def scoped(actor: Actor, queryset: QuerySet, field: str = "organisation") -> QuerySet:
    """The rows of `queryset` this actor may see; `field` leads to the owning organisation."""
    if actor.is_association:
        return queryset
    return queryset.filter(**{field: actor.organisation})


def require_enterprise(actor: Actor | None) -> Actor:
    if actor is None or not actor.is_enterprise:
        raise PermissionDenied
    return actor
