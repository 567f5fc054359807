from django.apps import AppConfig


class PrmConfig(AppConfig):
    name = "prm"
    verbose_name = "Kyoso platform"

    def ready(self) -> None:
        from prm import periodic  # noqa: F401  registers the beat schedule
        from prm.translate_tag import install

        install()  # {% translate "…" %} without the lazy round trip, in Django's i18n library
