"""A worker's Prometheus metrics, one concept per module:

- `messages`: the metrics of handled messages (outcome, handling time, retries, DLQ
  sends) and the dramatiq middleware that records them;
- `sampling`: a value read at most once per interval, so a scrape never costs more
  than one read of SQS or the database;
- `queues`: queue depth, in flight, delayed for each queue and its DLQ, from SQS;
- `server`: the `METRICS_PORT` setting and the HTTP server that serves `/metrics`.
"""
