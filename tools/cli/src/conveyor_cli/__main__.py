"""`python -m conveyor_cli`, the same as `conveyor`."""

from __future__ import annotations

from conveyor_cli.main import cli

if __name__ == "__main__":
    cli()
