"""The HTTP layer every feature shares: authentication, correlation ids, problem bodies,
JSON request bodies, OpenAPI helpers, the AWS budget and the operations routes."""
