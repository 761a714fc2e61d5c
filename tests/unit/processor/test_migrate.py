"""The migration lock's fixed key, its bounded wait and what a migrator says on giving up."""

from __future__ import annotations

import pytest

from conveyor_common.settings import EXIT_CONFIG_ERROR, load
from conveyor_processor.migrate import (
    MIGRATION_LOCK_KEY,
    MIGRATION_LOCK_WAIT_SECONDS,
    MigrateSettings,
    lock_timeout_setting,
    lock_wait_message,
)

BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1


def test_the_lock_key_is_conveyor_spelled_as_a_postgresql_bigint() -> None:
    # given the documented derivation; then the constant is it, and PostgreSQL takes it
    assert int.from_bytes(b"conveyor", "big") == MIGRATION_LOCK_KEY
    assert BIGINT_MIN <= MIGRATION_LOCK_KEY <= BIGINT_MAX


@pytest.mark.parametrize(
    ("wait_seconds", "expected"),
    [(600.0, "600000ms"), (1.5, "1500ms"), (0.0012, "2ms"), (0.0001, "1ms")],
)
def test_the_wait_becomes_whole_milliseconds_rounded_up_never_zero(
    wait_seconds: float, expected: str
) -> None:
    # given a wait; when spelled as lock_timeout; then 0 (no limit at all) never comes out
    assert lock_timeout_setting(wait_seconds) == expected


def test_the_give_up_message_says_how_long_and_where_to_find_the_holder() -> None:
    # when a migrator gives up after 2.5 s
    message = lock_wait_message(2.5)

    # then it says how long it waited, that nothing was migrated, and names the lock's
    # row in pg_locks, whose halves make the key again
    assert "waiting 2.5 s for the migration lock" in message
    assert "nothing was migrated" in message
    classid, objid = MIGRATION_LOCK_KEY >> 32, MIGRATION_LOCK_KEY & 0xFFFFFFFF
    assert f"classid = {classid} AND objid = {objid}" in message
    assert (classid << 32) | objid == MIGRATION_LOCK_KEY


def test_the_wait_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a database URL alone; then the wait is the default
    monkeypatch.setenv("DATABASE_URL", "postgresql://conveyor@db/conveyor")
    assert load(MigrateSettings).migration_lock_wait_seconds == MIGRATION_LOCK_WAIT_SECONDS

    # given a wait in seconds; then it is that wait
    monkeypatch.setenv("MIGRATION_LOCK_WAIT_SECONDS", "0.5")
    assert load(MigrateSettings).migration_lock_wait_seconds == 0.5


@pytest.mark.parametrize("wait", ["0", "-1", "soon"])
def test_a_wait_that_is_no_positive_number_stops_the_migrator(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], wait: str
) -> None:
    # given a wait of no positive number of seconds
    monkeypatch.setenv("DATABASE_URL", "postgresql://conveyor@db/conveyor")
    monkeypatch.setenv("MIGRATION_LOCK_WAIT_SECONDS", wait)

    # when loaded; then the migrator stops naming the variable
    with pytest.raises(SystemExit) as stopped:
        load(MigrateSettings)
    assert stopped.value.code == EXIT_CONFIG_ERROR
    assert "MIGRATION_LOCK_WAIT_SECONDS" in capsys.readouterr().err
