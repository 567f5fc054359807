"""The static files' storage of production: whitenoise's compressed manifest storage, each file's address kept once
asked. The manifest is read when the process starts and does not change while it runs, and every page asks the
layout's seven files (stylesheets, scripts, icon), each look-up cleaning, splitting and joining the name anew."""

from __future__ import annotations

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage

_LIMIT = 4096  # names come from templates; past this the storage starts over


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force or settings.DEBUG:  # DEBUG answers the unhashed name: as the parent does
            return super().url(name, force)
        found = self._urls.get(name)
        if found is None:
            found = super().url(name)  # a name missing from the manifest raises here, and is not kept
            if len(self._urls) >= _LIMIT:
                self._urls.clear()
            self._urls[name] = found
        return found
