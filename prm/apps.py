from django.apps import AppConfig


class PrmConfig(AppConfig):
    name = "prm"
    verbose_name = "Kyoso platform"

    def ready(self) -> None:
        from prm import periodic  # noqa: F401  registers the beat schedule
