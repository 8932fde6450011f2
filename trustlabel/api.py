"""The JSON API (django-ninja): OpenAPI at /api/docs.

Consumers call /api/v1/verify without credentials. Enterprise endpoints take an API key
(`Authorization: Bearer <key>`) or a signed-in session.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as SchemaError
from ninja.renderers import JSONRenderer


class CompactJSONRenderer(JSONRenderer):
    """JSON without spaces and with Chinese as UTF-8 rather than \\u escapes: a third
    shorter, and byte for byte what pydantic's own JSON gives (the checks' fast path)."""

    json_dumps_params = {"separators": (",", ":"), "ensure_ascii": False}


api = NinjaAPI(
    title="TrustLabel API",
    version="1",
    description="Verify label codes; manage products, lots, label orders, exports and scans.",
    urls_namespace="api",
    renderer=CompactJSONRenderer(),
)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    messages = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(
        request, {"detail": _("The request is not valid."), "errors": messages}, status=422
    )


@api.exception_handler(SchemaError)
def schema_error(request, exc: SchemaError):
    """A body or query that does not fit the schema: say so in the user's language, and
    list the fields (locations as in the OpenAPI schema) for the developer."""
    fields = [
        {"field": ".".join(str(part) for part in error.get("loc", ())), "problem": error["msg"]}
        for error in exc.errors
    ]
    return api.create_response(
        request, {"detail": _("The request is not valid."), "errors": fields}, status=422
    )


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc):
    return api.create_response(
        request, {"detail": _("You are not allowed to do this.")}, status=403
    )


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return api.create_response(request, {"detail": _("Sign in or send an API key.")}, status=401)


def _register_routers() -> None:
    from trustlabel.catalog.api import router as catalog_router
    from trustlabel.codes.api import router as codes_router
    from trustlabel.regions.api import router as regions_router
    from trustlabel.trace.api import (
        alerts_router,
        inspect_router,
        logistics_router,
        recalls_router,
    )
    from trustlabel.trace.api import router as trace_router
    from trustlabel.verify.api import router as verify_router
    from trustlabel.verify.api import scans_router

    api.add_router("/v1", verify_router)
    api.add_router("/v1", catalog_router)
    api.add_router("/v1", codes_router)
    api.add_router("/v1", scans_router)
    api.add_router("/v1", trace_router)
    api.add_router("/v1", recalls_router)
    api.add_router("/v1", logistics_router)
    api.add_router("/v1", alerts_router)
    api.add_router("/v1", inspect_router)
    api.add_router("/v1", regions_router)
    api.add_router("/v1", "trustlabel.integrity.api.router")


_register_routers()
