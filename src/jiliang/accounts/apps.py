from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "jiliang.accounts"
    label = "accounts"
    verbose_name = _("账户与角色")

    def ready(self):
        # The admin's login (staff only) shares the throttle of the pages' sign-in (accounts/login/).
        from django.contrib import admin

        from .forms import ThrottledAdminAuthenticationForm

        admin.site.login_form = ThrottledAdminAuthenticationForm

        from django.db.models.signals import post_delete, post_migrate, post_save

        from jiliang.instance import prepare
        from jiliang.registry.models import Region

        from .roles import clear_region_cache

        # `migrate` (jiliang migrate, the demo, the test database) also makes the instance's
        # files beside its schema: the secret key, the static folder, the cache's tables.
        post_migrate.connect(prepare, sender=self, dispatch_uid="jiliang-instance-prepare")

        # Region scopes are cached per process (roles.region_ids_within); a saved or
        # deleted region clears them (bulk loads rely on the cache's one-minute life).
        post_save.connect(clear_region_cache, sender=Region, dispatch_uid="accounts-region-cache-save")
        post_delete.connect(clear_region_cache, sender=Region, dispatch_uid="accounts-region-cache-delete")
