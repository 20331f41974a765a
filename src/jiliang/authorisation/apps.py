from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuthorisationConfig(AppConfig):
    name = "jiliang.authorisation"
    label = "authorisation"
    verbose_name = _("计量授权")

    def ready(self):
        # Every table of the register goes to the audit ledger, like the registry's.
        from jiliang.audit.services import track
        from jiliang.registry import demo as registry_demo
        from jiliang.registry import services as registry_services
        from jiliang.registry.exchange import tables as exchange_tables

        from . import demo, exchange, models, rules

        for model in (models.Authorisation, models.AuthorisedItem, models.AuthorisedArea, models.AuthorisationChange):
            track(model)
        # The one write service of events asks who may perform a mandatory verification.
        registry_services.event_rule(rules.performer_refusals)
        registry_services.stored_event_rule(rules.stored_refusals)
        exchange_tables.register_tables(exchange.TABLES, after="catalog")
        if demo.grant_demo_authorisations not in registry_demo.AFTER_ASSIGN:
            registry_demo.AFTER_ASSIGN.append(demo.grant_demo_authorisations)
