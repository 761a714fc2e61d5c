"""The processor's settings come from the environment, checked at start-up."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from conveyor_common.settings import EXIT_CONFIG_ERROR, load
from conveyor_processor.settings import ProcessorSettings

REQUIRED = {
    "STATE_TABLE": "conveyor-state",
    "DATABASE_URL": "postgresql://conveyor@db/conveyor",
    "EVENTS_TOPIC_ARN": "arn:aws:sns:us-east-1:000000000000:conveyor-events",
    "PROCESSOR_QUEUE": "conveyor-processor",
    "EXPORTS_BUCKET": "conveyor-exports",
    "PUBLIC_API_URL": "https://api.example.com",
}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("VISIBILITY_TIMEOUT_SECONDS", "120")
    return monkeypatch


def test_every_group_is_read_from_the_environment(environment: pytest.MonkeyPatch) -> None:
    # given the environment above; when loaded
    settings = load(ProcessorSettings)

    # then
    assert (
        settings.state_table,
        settings.database_url,
        settings.events_topic_arn,
        settings.processor_queue,
        settings.exports_bucket,
        str(settings.public_api_url).rstrip("/"),
        settings.visibility_timeout_seconds,
    ) == (*REQUIRED.values(), 120)


def test_a_missing_queue_stops_the_process_naming_it(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # given
    environment.delenv("PROCESSOR_QUEUE")

    # when
    with pytest.raises(SystemExit) as exit_info:
        load(ProcessorSettings)

    # then
    assert exit_info.value.code == EXIT_CONFIG_ERROR
    assert capsys.readouterr().err.strip() == "configuration error: PROCESSOR_QUEUE is not set"


def test_export_temporary_files_go_under_the_system_temp_dir_unless_set(
    environment: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert load(ProcessorSettings).export_temp_dir == (
        Path(tempfile.gettempdir()) / "conveyor-processor"
    )
    environment.setenv("EXPORT_TEMP_DIR", str(tmp_path))
    assert load(ProcessorSettings).export_temp_dir == tmp_path


@pytest.mark.parametrize("url", ["https://api.example.com/?x=1", "https://api.example.com/#top"])
def test_an_api_address_with_a_query_or_fragment_stops_the_process(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    environment.setenv("PUBLIC_API_URL", url)

    with pytest.raises(SystemExit) as exited:
        load(ProcessorSettings)

    assert exited.value.code == EXIT_CONFIG_ERROR
    assert "PUBLIC_API_URL" in capsys.readouterr().err
