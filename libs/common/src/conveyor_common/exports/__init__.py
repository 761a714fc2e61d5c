"""Data exports: the request, the job's life cycle, the resource registry and cell rules."""

# The catalog registers the shipped resources as soon as exports are used.
from conveyor_common.exports import catalog as catalog
