"""Static checks of the production-like topology (docker-compose.yml, Dockerfile, deploy/).

No Docker engine runs in CI, so these tests read the files and hold them to what the code
expects: the environment variables are real settings, ports agree with the settings'
defaults and with each other, dependents wait for health, secrets are interpolated, and
the image is a non-root Python 3.11+ image with tesseract.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

import pytest
import yaml
from pydantic import SecretStr

from clearway.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
CLEARWAY_SERVICES = ("migrate", "api", "worker")
EXPECTED_SERVICES = {"postgres", "temporal", "temporal-ui", *CLEARWAY_SERVICES}
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[?\-+][^}]*)?\}")
REQUIRED_SECRET = re.compile(r"^\$\{[A-Z_][A-Z0-9_]*:\?[^}]+\}$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = compose["services"]
    return result


def env_of(service: dict[str, Any]) -> dict[str, str]:
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        pairs = (item.split("=", 1) for item in raw)
        return {k: v for k, v in pairs}
    return {str(k): str(v) for k, v in raw.items()}


def published(service: dict[str, Any]) -> list[tuple[int, int]]:
    """(host port, container port) pairs, from short or long port syntax."""
    out = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            out.append((int(port["published"]), int(port["target"])))
        else:
            parts = str(port).split("/")[0].split(":")
            out.append((int(parts[-2]), int(parts[-1])))
    return out


def split_url(value: str) -> tuple[SplitResult, dict[str, str]]:
    """urlsplit after replacing `${...}` (whose `:?` would confuse it) with tokens."""
    found: dict[str, str] = {}

    def token(m: re.Match[str]) -> str:
        name = f"interp{len(found)}"
        found[name] = m[0]
        return name

    return urlsplit(INTERPOLATION.sub(token, value)), found


def settings_field(env_key: str) -> str:
    return env_key.removeprefix("CLEARWAY_").lower()


def secret_setting_keys() -> set[str]:
    return {
        f"CLEARWAY_{name.upper()}"
        for name, field in Settings.model_fields.items()
        if "SecretStr" in str(field.annotation) or field.annotation is SecretStr
    }


def depends(service: dict[str, Any]) -> dict[str, str]:
    raw = service.get("depends_on") or {}
    if isinstance(raw, list):
        return {name: "service_started" for name in raw}
    return {name: spec.get("condition", "service_started") for name, spec in raw.items()}


def test_expected_services(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == EXPECTED_SERVICES


def test_images_are_pinned(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        image = service.get("image")
        if image is None:
            assert "build" in service, f"{name} has neither image nor build"
            continue
        repo, _, tag = image.rpartition(":")
        assert repo and "/" not in tag, f"{name}: image {image!r} has no tag"
        assert tag != "latest", f"{name}: image {image!r} is not pinned"
        assert re.fullmatch(r"\d+(\.\d+)*", tag), f"{name}: tag {tag!r} is not a version"
    assert services["postgres"]["image"] == "postgres:16"
    assert services["temporal"]["image"].startswith("temporalio/auto-setup:")
    assert services["temporal-ui"]["image"].startswith("temporalio/ui:")


def test_clearway_env_keys_are_settings(services: dict[str, dict[str, Any]]) -> None:
    fields = set(Settings.model_fields)
    seen = 0
    for name, service in services.items():
        for key in env_of(service):
            if key.startswith("CLEARWAY_") and name in CLEARWAY_SERVICES:
                seen += 1
                assert settings_field(key) in fields, f"{name}: {key} is not a setting"
            elif key.startswith("CLEARWAY_"):
                # Other containers may carry a CLEARWAY_ value (postgres init) that is not
                # a setting; it must then not pretend to configure Clearway.
                assert key == "CLEARWAY_DB_PASSWORD", f"{name}: unexpected {key}"
    assert seen >= 3 * 10


def test_clearway_env_is_valid_settings(services: dict[str, dict[str, Any]]) -> None:
    """The values, secrets filled with placeholders, build a production Settings."""
    for name in CLEARWAY_SERVICES:
        env = env_of(services[name])
        values = {
            settings_field(k): INTERPOLATION.sub("placeholder", v)
            for k, v in env.items()
            if k.startswith("CLEARWAY_")
        }
        settings = Settings.model_validate(values)
        assert settings.environment == "production"
        assert settings.log_format == "json"
        assert settings.api_host == "0.0.0.0"
        for secret in ("jwt_secret", "encryption_keys", "request_hmac_key", "database_url"):
            assert getattr(settings, secret) is not None, f"{name}: {secret} unset"


def test_clearway_services_share_build_env_and_image(services: dict[str, dict[str, Any]]) -> None:
    first = services["api"]
    assert first["build"]["context"] == "."
    assert (ROOT / first["build"].get("dockerfile", "Dockerfile")).resolve() == DOCKERFILE
    for name in CLEARWAY_SERVICES:
        service = services[name]
        assert service["build"] == first["build"], name
        assert service["image"] == first["image"], name
        assert env_of(service) == env_of(first), name
        assert service["command"] == ["clearway", name], name


def test_api_port_agrees_with_settings(services: dict[str, dict[str, Any]]) -> None:
    env = env_of(services["api"])
    default = Settings.model_fields["api_port"].default
    assert int(env["CLEARWAY_API_PORT"]) == default
    assert published(services["api"]) == [(default, default)]
    assert "ports" not in services["worker"]
    assert "ports" not in services["migrate"]


def test_temporal_port_and_address(services: dict[str, dict[str, Any]]) -> None:
    default = Settings.model_fields["temporal_port"].default
    assert default == 7233
    assert (default, default) in published(services["temporal"])
    host, _, port = env_of(services["api"])["CLEARWAY_TEMPORAL_ADDRESS"].partition(":")
    assert host == "temporal" and host in services
    assert int(port) == default
    assert env_of(services["temporal-ui"])["TEMPORAL_ADDRESS"] == f"temporal:{default}"


def test_temporal_on_postgres(services: dict[str, dict[str, Any]]) -> None:
    env = env_of(services["temporal"])
    assert env["DB"] == "postgres12"
    assert env["POSTGRES_SEEDS"] in services
    assert env["DB_PORT"] == "5432"
    assert env["POSTGRES_USER"]
    assert REQUIRED_SECRET.match(env["POSTGRES_PWD"])


def test_temporal_dynamic_config_is_mounted_and_exists(services: dict[str, dict[str, Any]]) -> None:
    temporal = services["temporal"]
    target = "/etc/temporal/" + env_of(temporal)["DYNAMIC_CONFIG_FILE_PATH"]
    mounts = {}
    for volume in temporal.get("volumes", []):
        source, mount_target, *_ = volume.split(":")
        mounts[mount_target] = source
    assert target in mounts, f"{target} is not mounted"
    source = (ROOT / mounts[target]).resolve()
    assert source.is_file(), f"{source} does not exist"
    config = yaml.safe_load(source.read_text())
    assert isinstance(config, dict) and config
    for key, values in config.items():
        assert isinstance(values, list) and values, key
        assert all("value" in v for v in values), key
    assert config["limit.maxIDLength"][0]["value"] >= 64


def test_temporal_ui_decodes_through_the_api(services: dict[str, dict[str, Any]]) -> None:
    ui = services["temporal-ui"]
    env = env_of(ui)
    api_host_port = published(services["api"])[0][0]
    assert env["TEMPORAL_CODEC_ENDPOINT"] == f"http://localhost:{api_host_port}/codec"
    assert env["TEMPORAL_CORS_ORIGINS"]
    ui_port = published(ui)[0][0]
    assert ui_port == 8080
    assert int(env_of(services["api"])["CLEARWAY_TEMPORAL_UI_PORT"]) == ui_port


def test_dependents_wait_for_health(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    postgres = services["postgres"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    for key in ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"):
        assert key in env_of(postgres)
    volume = next(v for v in postgres["volumes"] if v.endswith(":/var/lib/postgresql/data"))
    assert volume.split(":")[0] in compose["volumes"]

    for name in ("temporal", *CLEARWAY_SERVICES):
        assert depends(services[name]).get("postgres") == "service_healthy", name
    assert services["migrate"]["restart"] == "no"
    for name in ("api", "worker"):
        deps = depends(services[name])
        assert deps.get("migrate") == "service_completed_successfully", name
        assert deps.get("temporal") == "service_healthy", name
    assert "healthcheck" in services["temporal"]
    assert depends(services["temporal-ui"]).get("temporal") in {
        "service_healthy",
        "service_started",
    }


def test_no_secret_literals(services: dict[str, dict[str, Any]]) -> None:
    secret_name = re.compile(r"(PASSWORD|PWD|SECRET|_KEYS?)$")
    secret_settings = secret_setting_keys()
    assert {"CLEARWAY_JWT_SECRET", "CLEARWAY_DATABASE_URL"} <= secret_settings
    checked = 0
    for name, service in services.items():
        for key, value in env_of(service).items():
            if key == "CLEARWAY_DATABASE_URL":
                url, found = split_url(value)
                assert url.password in found, f"{name}: {key} has a literal password"
                assert REQUIRED_SECRET.match(found[url.password]), f"{name}: {key}"
                checked += 1
            elif key in secret_settings or secret_name.search(key):
                assert REQUIRED_SECRET.match(value), f"{name}: {key} must be ${{VAR:?...}}"
                checked += 1
    assert checked >= 15


def test_database_url_points_at_the_clearway_database(services: dict[str, dict[str, Any]]) -> None:
    url, _ = split_url(env_of(services["api"])["CLEARWAY_DATABASE_URL"])
    assert url.scheme == "postgresql+psycopg"
    assert (url.hostname, url.port) == ("postgres", 5432)
    database, user = url.path.lstrip("/"), url.username
    # The init script mounted into postgres creates that role and database.
    mount = next(v for v in services["postgres"]["volumes"] if ":/docker-entrypoint-initdb.d" in v)
    scripts = list((ROOT / mount.split(":")[0]).glob("*.sh"))
    assert scripts, "no init script"
    sql = "\n".join(p.read_text() for p in scripts)
    assert re.search(rf"CREATE ROLE {user}\b", sql)
    assert re.search(rf"CREATE DATABASE {database} OWNER {user}\b", sql)
    temporal_user = env_of(services["temporal"])["POSTGRES_USER"]
    assert re.search(rf"CREATE ROLE {temporal_user}\b[^;]*CREATEDB", sql)


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            out.append((op.upper(), rest.strip()))
    return out


def test_dockerfile() -> None:
    assert DOCKERFILE.is_file()
    steps = dockerfile_instructions()
    base = [rest for op, rest in steps if op == "FROM"]
    assert base, "no FROM"
    m = re.fullmatch(r"python:3\.(\d+)[\w.-]*(?: AS \w+)?", base[-1], flags=re.IGNORECASE)
    assert m and int(m[1]) >= 11, f"base image {base[-1]!r} is not Python 3.11+"

    users = [rest for op, rest in steps if op == "USER"]
    assert users, "no USER: the container would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}

    runs = " ".join(rest for op, rest in steps if op == "RUN")
    assert re.search(r"apt-get install[^&;]*\btesseract-ocr\b", runs)
    assert re.search(r"pip install (--\S+ )*\.(\s|$)", runs), "expected `pip install .`"
    assert "[dev]" not in runs and "pip install -e" not in runs

    health = [rest for op, rest in steps if op == "HEALTHCHECK"]
    assert health and "/healthz" in health[0]
    env = " ".join(rest for op, rest in steps if op == "ENV")
    assert "PYTHONPATH=/app" in env  # data/ and migrations/ are found beside the packages


def test_dockerignore_keeps_runtime_files_out_of_secrets() -> None:
    patterns = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", ".env"} <= patterns
    for needed in ("data", "migrations", "clearway", "models", "activities", "pyproject.toml"):
        assert needed not in patterns and f"{needed}/" not in patterns, needed
