from __future__ import annotations

import pytest

from conveyor_common.settings import EXIT_CONFIG_ERROR, AwsConfig, WorkerConfig, load


class Config(AwsConfig, WorkerConfig):
    processor_queue: str


def test_a_missing_variable_stops_with_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STATE_TABLE", "t")
    monkeypatch.delenv("PROCESSOR_QUEUE", raising=False)
    with pytest.raises(SystemExit) as stopped:
        load(Config)
    assert stopped.value.code == EXIT_CONFIG_ERROR
    assert capsys.readouterr().err == "configuration error: PROCESSOR_QUEUE is not set\n"


def test_a_wrong_value_names_the_variable_and_the_problem(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STATE_TABLE", "t")
    monkeypatch.setenv("PROCESSOR_QUEUE", "q")
    monkeypatch.setenv("WORKER_THREADS", "many")
    with pytest.raises(SystemExit):
        load(Config)
    error = capsys.readouterr().err
    assert error.startswith("configuration error: WORKER_THREADS ")
    assert "integer" in error
    assert error.count("\n") == 1


def test_valid_settings_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATE_TABLE", "t")
    monkeypatch.setenv("PROCESSOR_QUEUE", "q")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    config = load(Config)
    assert config.processor_queue == "q"
    assert str(config.aws_endpoint_url) == "http://127.0.0.1:5000/"
