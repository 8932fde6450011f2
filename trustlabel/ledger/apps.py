from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "trustlabel.ledger"
    verbose_name = _("Public ledger")
    default_auto_field = "django.db.models.BigAutoField"
