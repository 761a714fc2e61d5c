"""Each container of docker-compose.yml gets the variables its settings class reads,
every one it needs to start, and the names of the resources the bootstrap creates.

A variable no settings class reads is a typo or a leftover: the service would start
with the default instead, silently.
"""

from __future__ import annotations

import pytest
from pydantic_settings import BaseSettings
from tests.unit.deploy.compose import environment

from conveyor_aws.resources import ResourceNames
from conveyor_common.settings import AwsConfig
from conveyor_notifier.settings import NotifierSettings
from conveyor_processor.migrate import MigrateSettings
from conveyor_processor.settings import ProcessorSettings
from conveyor_producer.settings import ProducerSettings

# Credentials botocore reads from the environment itself.
READ_BY_BOTOCORE = frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"})
SETTINGS: dict[str, type[BaseSettings]] = {
    "producer": ProducerSettings,
    "processor": ProcessorSettings,
    "notifier": NotifierSettings,
    # The migrations' settings; the bootstrap reads the AWS ones through conveyor_aws.clients.
    "bootstrap": MigrateSettings,
}
# Read by the bootstrap (conveyor_aws.clients) although no settings class of its own has them.
BOOTSTRAP_AWS = frozenset({"AWS_REGION", "AWS_ENDPOINT_URL"})


def env_names(settings_cls: type[BaseSettings]) -> set[str]:
    """The variables pydantic-settings reads for the class (no field has an alias)."""
    prefix = settings_cls.model_config.get("env_prefix", "")
    return {f"{prefix}{name}".upper() for name in settings_cls.model_fields}


@pytest.mark.parametrize("container", SETTINGS)
def test_every_variable_is_read_by_the_settings(container: str) -> None:
    known = env_names(SETTINGS[container]) | READ_BY_BOTOCORE
    if container == "bootstrap":
        known |= BOOTSTRAP_AWS & env_names(AwsConfig)
    assert set(environment(container)) - known == set()


@pytest.mark.parametrize("container", SETTINGS)
def test_the_settings_load_from_that_environment_alone(
    container: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_cls = SETTINGS[container]
    # Nothing from the environment the tests run in: a missing variable must show.
    for name in env_names(settings_cls):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment(container).items():
        monkeypatch.setenv(name, value)
    settings_cls()


def test_the_services_name_the_resources_the_bootstrap_creates() -> None:
    names = ResourceNames()
    producer, processor, notifier = (environment(s) for s in ("producer", "processor", "notifier"))
    for service in (producer, processor, notifier):
        assert service["STATE_TABLE"] == names.table
    for service in (producer, processor):
        assert service["EVENTS_TOPIC_ARN"].endswith(f":{names.topic}")
        assert service["EXPORTS_BUCKET"] == names.bucket
    assert producer["UPLOADS_BUCKET"] == names.uploads_bucket
    assert processor["PROCESSOR_QUEUE"] == names.queue("processor")
    assert notifier["NOTIFIER_QUEUE"] == names.queue("notifier")
    assert notifier["SES_SENDER"] == names.sender


def test_the_topic_account_is_the_one_both_emulators_use() -> None:
    # moto's fixed account; LocalStack takes a 12-digit access key id as the account.
    aws = environment("producer")
    assert aws["EVENTS_TOPIC_ARN"].split(":")[4] == aws["AWS_ACCESS_KEY_ID"] == "123456789012"
