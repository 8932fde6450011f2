from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CodesConfig(AppConfig):
    name = "trustlabel.codes"
    label = "codes"
    verbose_name = _("Label codes")
