"""The notifier's settings, read from the environment."""

from __future__ import annotations

from conveyor_aws.broker.liveness import LivenessConfig
from conveyor_aws.metrics.server import MetricsConfig
from conveyor_aws.tracing import TracingConfig
from conveyor_common.settings import AwsConfig, WorkerConfig


class NotifierSettings(AwsConfig, WorkerConfig, LivenessConfig, MetricsConfig, TracingConfig):
    notifier_queue: str
    ses_sender: str
    # Log e-mails instead of sending them, where no SES identity is set up.
    skip_ses: bool = False
