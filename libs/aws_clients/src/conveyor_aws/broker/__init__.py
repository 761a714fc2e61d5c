"""dramatiq on SQS, speaking plain JSON envelopes and set up so nothing is lost.

dramatiq-sqs expects base64-encoded dramatiq messages; Conveyor's queues hold
the raw SNS-delivered envelopes instead, so any SQS consumer can read them.
This package adapts the two, one concept per module:

- `envelope_broker`: the broker, which finds each queue and its DLQ and sends
  retries as plain envelopes;
- `consumer`: each SQS message becomes a dramatiq message for the actor named
  after its event type, and a body no actor can take is parked in the DLQ;
- `deletes`: handled messages deleted ten per DeleteMessageBatch call, a failed
  delete leaving its message to be redelivered;
- `middleware`: the delivery policy (retry, park or postpone a failed message)
  and the heartbeat that keeps long-running messages invisible;
- `attributes`: the SQS message attributes and dramatiq message options that
  carry a message's history and fate between those parts;
- `liveness_recorder`: each pass of the consumer that worked, recorded in a file,
  which `liveness` (the record and the workers' container health check) reads;
- `worker`: the run loop, until SIGTERM or SIGINT.
"""
