"""EPCIS 2.0 queries (SimpleEventQuery parameters, REST bindings) over the repository.

List parameters are pipe-delimited: values of one parameter are alternatives, parameters
are all required. CBV values match in any spelling (vocabulary.py) and GS1 keys in either
form (identifiers.py); `urn:epc:idpat:` patterns match the keys they describe.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.core import signing
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from .capture import parse_time
from .identifiers import IdentifierError, epc_key, urn_to_dl
from .models import Containment, Event, EventEPC, EventQuantity, EventType
from .vocabulary import short_cbv

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 1000
TOKEN_SALT = "trustlabel.trace.next-page"  # noqa: S105 - a signing salt, not a secret
TOKEN_MAX_AGE = 3600  # seconds a next-page token stays good


class QueryParameterError(ValueError):
    """A parameter the repository cannot answer (EPCIS QueryParameterException)."""


# MATCH_ parameters: the roles of the identifiers they look at.
_EPC_MATCHES = {
    "MATCH_epc": ("epc", "child"),
    "MATCH_parentID": ("parent",),
    "MATCH_inputEPC": ("input",),
    "MATCH_outputEPC": ("output",),
    "MATCH_anyEPC": ("epc", "child", "input", "output", "parent"),
}
_CLASS_MATCHES = {
    "MATCH_epcClass": ("quantity", "child"),
    "MATCH_inputEPCClass": ("input",),
    "MATCH_outputEPCClass": ("output",),
    "MATCH_anyEPCClass": ("quantity", "child", "input", "output"),
}
_TIME_FILTERS = {
    "GE_eventTime": "event_time__gte",
    "LT_eventTime": "event_time__lt",
    "GE_recordTime": "record_time__gte",
    "LT_recordTime": "record_time__lt",
}
_EQUAL_FILTERS = {
    "EQ_bizStep": ("biz_step", short_cbv),
    "EQ_disposition": ("disposition", short_cbv),
    "EQ_readPoint": ("read_point", epc_key),
    "EQ_bizLocation": ("biz_location", epc_key),
    "EQ_action": ("action", str),
    "EQ_eventID": ("event_id", str),
}
_PAGING = {"perPage", "nextPageToken"}
KNOWN = {"eventType", *_EPC_MATCHES, *_CLASS_MATCHES, *_TIME_FILTERS, *_EQUAL_FILTERS, *_PAGING}


@dataclass(frozen=True)
class Page:
    events: list[Event]
    next_token: str | None


def run(events: QuerySet, params: dict[str, str]) -> Page:
    """One page of the events in `events` that match `params` (strings, as in the URL)."""
    unknown = sorted(set(params) - KNOWN)
    if unknown:
        raise QueryParameterError(
            _("Unknown query parameter: %(names)s.") % {"names": ", ".join(unknown)}
        )
    filters = {k: v for k, v in params.items() if k not in _PAGING}
    events = events.filter(_conditions(filters))
    per_page = _per_page(params.get("perPage"))
    after = _token_position(params.get("nextPageToken"), filters)
    if after is not None:
        moment, pk = after
        events = events.filter(Q(record_time__gt=moment) | Q(record_time=moment, pk__gt=pk))
    found = list(events.order_by("record_time", "pk")[: per_page + 1])
    next_token = None
    if len(found) > per_page:
        found = found[:per_page]
        last = found[-1]
        next_token = signing.dumps(
            {"after": [last.record_time.isoformat(), last.pk], "q": _digest(filters)},
            salt=TOKEN_SALT,
        )
    return Page(found, next_token)


def _conditions(params: dict[str, str]) -> Q:
    condition = Q()
    for name, value in params.items():
        values = [v for v in value.split("|") if v]
        if not values:
            raise QueryParameterError(_("%(name)s: a value is needed.") % {"name": name})
        if name == "eventType":
            bad = set(values) - set(EventType.values)
            if bad:
                raise QueryParameterError(
                    _("eventType: not an event type: %(values)s.") % {"values": ", ".join(bad)}
                )
            condition &= Q(event_type__in=values)
        elif name in _TIME_FILTERS:
            condition &= Q(**{_TIME_FILTERS[name]: _time(name, value)})
        elif name in _EQUAL_FILTERS:
            column, normal = _EQUAL_FILTERS[name]
            condition &= Q(**{f"{column}__in": [normal(v) for v in values]})
        elif name in _EPC_MATCHES:
            roles = _EPC_MATCHES[name]
            naming = Q(
                pk__in=EventEPC.objects.filter(_key_matches("epc", values), role__in=roles).values(
                    "event_id"
                )
            )
            if "child" in roles:  # children packed: logistics.packing_of
                naming |= Q(
                    pk__in=Containment.objects.filter(_key_matches("child", values)).values(
                        "event_id"
                    )
                )
            condition &= naming
        else:
            condition &= Q(
                pk__in=EventQuantity.objects.filter(
                    _key_matches("epc_class", values, classes=True), role__in=_CLASS_MATCHES[name]
                ).values("event_id")
            )
    return condition


def _key_matches(column: str, values: list[str], classes: bool = False) -> Q:
    """Identifiers equal to one of `values`, or described by one of its patterns."""
    condition, keys = Q(), []
    for value in values:
        if value.startswith("urn:epc:idpat:"):
            condition |= _pattern(column, value, classes)
        else:
            keys.append(epc_key(value))
    if keys:
        condition |= Q(**{f"{column}__in": keys})
    return condition


def _pattern(column: str, pattern: str, classes: bool) -> Q:
    """`urn:epc:idpat:sgtin:<company>.<item>.*`: every item of one GTIN (and, for classes,
    the GTIN itself and its lots)."""
    try:
        gtin = urn_to_dl(pattern)  # https://id.gs1.org/01/<GTIN-14>
    except IdentifierError as e:
        raise QueryParameterError(
            _("%(pattern)s: only patterns of one GTIN (urn:epc:idpat:sgtin:C.I.*) are supported.")
            % {"pattern": pattern}
        ) from e
    if classes:
        return Q(**{column: gtin}) | Q(**{f"{column}__startswith": gtin + "/"})
    return Q(**{f"{column}__startswith": gtin + "/21/"})


def _time(name: str, value: str) -> dt.datetime:
    try:
        # A "+" in an unencoded query string arrives as a space.
        return parse_time(value.replace(" ", "+"))
    except ValueError as e:
        raise QueryParameterError(
            _("%(name)s: not a time with its offset: %(value)s.") % {"name": name, "value": value}
        ) from e


def epcs_page(events: QuerySet, params: dict[str, str]) -> tuple[list[str], str | None]:
    """A page of the identifiers `events` name, in order, and the token of the next."""
    unknown = set(params) - {"perPage", "nextPageToken"}
    if unknown:
        raise QueryParameterError(
            _("Unknown query parameters: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    per_page = _per_page(params.get("perPage"))
    after = None
    if token := params.get("nextPageToken"):
        try:
            after = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
        except signing.BadSignature as e:
            raise QueryParameterError(
                _("nextPageToken: not a token of this query, or expired.")
            ) from e
    # The identifiers the events name (EventEPC) and the children they pack (Containment,
    # see logistics.packing_of; found by their parents, which are indexed), in one order of
    # the database's.
    named = EventEPC.objects.filter(event__in=events).values_list("epc", flat=True)
    parents = EventEPC.objects.filter(event__in=events, role=EventEPC.Role.PARENT)
    packed = Containment.objects.filter(
        parent__in=parents.values("epc"), event__in=events
    ).values_list("child", flat=True)
    if after is not None:
        named, packed = named.filter(epc__gt=after), packed.filter(child__gt=after)
    found = list(named.union(packed).order_by("epc")[: per_page + 1])
    following = (
        signing.dumps(found[per_page - 1], salt=TOKEN_SALT) if len(found) > per_page else None
    )
    return found[:per_page], following


def _per_page(value: str | None) -> int:
    if value is None:
        return DEFAULT_PER_PAGE
    if not value.isdigit() or not 1 <= int(value) <= MAX_PER_PAGE:
        raise QueryParameterError(
            _("perPage: a whole number from 1 to %(max)d.") % {"max": MAX_PER_PAGE}
        )
    return int(value)


def _token_position(token: str | None, filters: dict) -> tuple[dt.datetime, int] | None:
    if token is None:
        return None
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature as e:
        raise QueryParameterError(_("nextPageToken: not a token of this query, or expired.")) from e
    if data.get("q") != _digest(filters):
        raise QueryParameterError(_("nextPageToken: given with other query parameters."))
    moment, pk = data["after"]
    return dt.datetime.fromisoformat(moment), pk


def _digest(filters: dict) -> str:
    return hashlib.sha256(json.dumps(filters, sort_keys=True).encode()).hexdigest()[:16]
