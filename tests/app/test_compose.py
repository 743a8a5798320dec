"""docker-compose.yml and the Dockerfile: valid by the Compose specification's JSON schema
(no Docker engine runs here), and what the containers run is a command `covisor` accepts."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from covisor import config as configuration
from covisor.app.cli import make_parser

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_compose_file_follows_the_compose_specification(tmp_path: Path) -> None:
    checked = validate(COMPOSE)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("restart: unless-stopped", "restart: 7", 1))
    assert validate(broken).returncode != 0, "the schema check can fail"


def serve_config(argv: list[str]) -> configuration.Config:
    """The config `covisor serve` would run with, from a container's command."""
    assert argv[:4] == ["python", "-m", "covisor", "serve"], argv
    args = make_parser().parse_args(argv[3:])
    return configuration.from_arguments(args, environ={})


def test_the_containers_run_commands_covisor_accepts() -> None:
    compose: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    for name in ("covisor-1", "covisor-2", "covisor-3"):
        service = services[name]
        config = serve_config(service["command"])
        assert (config.host, config.port) == ("0.0.0.0", 8080)
        assert config.redis_url and config.database_url and config.media_url
        assert service["volumes"] == ["/data"], "a volume of each node's own, none shared"
        healthcheck = " ".join(service["healthcheck"]["test"])
        assert "/readyz" in healthcheck and ":8080" in healthcheck
        configuration.from_env(service["environment"])
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in services["nginx"]["volumes"]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert all(f"server covisor-{n}:8080" in nginx for n in (1, 2, 3))
    bucket = services["seaweedfs-bucket"]["command"][0]
    assert config.media_url is not None
    assert f"s3.bucket.create -name {config.media_url.split('/')[2]}" in bucket
    s3 = json.loads((ROOT / "deploy" / "seaweedfs-s3.json").read_text())
    key = s3["identities"][0]["credentials"][0]
    environment = services["covisor-1"]["environment"]
    assert (key["accessKey"], key["secretKey"]) == (
        environment["AWS_ACCESS_KEY_ID"],
        environment["AWS_SECRET_ACCESS_KEY"],
    )

    dockerfile = (ROOT / "Dockerfile").read_text()
    assert '"/src[postgresql,mongo]"' in dockerfile, "the image has the drivers of every store"
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert cmd is not None
    config = serve_config(json.loads(cmd.group(1)))
    assert config.data_dir == Path("/data")
    assert re.search(r"^USER covisor$", dockerfile, re.MULTILINE), "the image runs as non-root"

    example = (ROOT / "deploy" / "covisor.env.example").read_text()
    variables = dict(
        line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#")
    )
    configuration.from_env(variables)
