"""The Atom feed of the association's published announcements, in the reader's language
(LocaleMiddleware has chosen it by the time the feed is built)."""

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from trustlabel.accounts.models import Organisation

from .certificate_pdf import issuing_association
from .models import Announcement, Programme

ENTRIES = 30
SUMMARY_CHARS = 300


def association_name(organisation: Organisation | None = None) -> str:
    """Who publishes: the announcing user's association, else the deployment's."""
    if organisation is None or not organisation.is_association:
        organisation = issuing_association()
    if organisation is None:
        return "TrustLabel"
    return organisation.display_name(get_language())


class AnnouncementFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request):
        """The programme of `?programme=<id>`, or None for every announcement."""
        wanted = request.GET.get("programme")
        if not wanted:
            return None
        if not wanted.isdigit():
            raise Http404
        return get_object_or_404(Programme, pk=wanted)

    def title(self, programme):
        if programme is None:
            return _("Announcements of %(association)s") % {"association": association_name()}
        return _("Announcements of %(programme)s") % {
            "programme": programme.display_name(get_language())
        }

    def subtitle(self, programme):
        return _("Notices and lists of approved enterprises, as published.")

    def link(self, programme):
        url = reverse("directory:announcements")
        return f"{url}?programme={programme.pk}" if programme else url

    def feed_url(self, programme):
        url = reverse("directory:announcement-feed")
        return f"{url}?programme={programme.pk}" if programme else url

    def author_name(self, programme):
        return association_name()

    def items(self, programme):
        rows = Announcement.objects.filter(published_at__isnull=False)
        if programme is not None:
            rows = rows.filter(programme=programme)
        return rows.select_related("created_by__organisation").order_by("-published_at")[:ENTRIES]

    def item_title(self, announcement):
        return announcement.display_title(get_language())

    def item_description(self, announcement):
        # Atom's summary is typed html: the plain text escaped.
        text = Truncator(announcement.display_body(get_language())).chars(SUMMARY_CHARS)
        return escape(text)

    def item_link(self, announcement):
        return reverse("directory:announcement", args=[announcement.pk])

    def item_pubdate(self, announcement):
        return announcement.published_at

    def item_updateddate(self, announcement):
        # A published announcement never changes: a correction is a new entry.
        return announcement.published_at

    def item_author_name(self, announcement):
        creator = announcement.created_by
        return association_name(creator.organisation if creator else None)
