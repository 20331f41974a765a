from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WitnessConfig(AppConfig):
    name = "jiliang.witness"
    label = "witness"
    verbose_name = _("诚信计量见证日志")

    def ready(self):
        # The centre applies the provinces' "ledger_checkpoint" records (jiliang.federation).
        from jiliang.audit.cli import SUBCOMMANDS

        from . import federation  # noqa: F401
        from .cli import add_audit_subcommands

        SUBCOMMANDS.append(add_audit_subcommands)
