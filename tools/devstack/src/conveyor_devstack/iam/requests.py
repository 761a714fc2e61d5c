"""What IAM asks of each recorded AWS call: the action it authorises, on which resource
ARN, with which condition keys; and the KMS calls S3 makes for an object in a bucket
encrypted with a customer key, on the caller's behalf and with the caller's rights.

Batch operations are authorised as their single form (DeleteMessageBatch needs
sqs:DeleteMessage, PublishBatch sns:Publish), except DynamoDB's BatchWriteItem, an
action of its own, a HEAD of a bucket as s3:ListBucket, a HEAD of an object as
s3:GetObject, each part of a multipart upload as s3:PutObject. An operation missing
from the table raises, so a new kind of call is mapped before it passes.
"""

from __future__ import annotations

import dataclasses
from email.utils import parseaddr
from urllib.parse import urlparse

from conveyor_devstack.iam.calls import Call
from conveyor_devstack.iam.policy import Request

# (botocore service, operation) -> (IAM action, what its resource is)
ACTIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("sqs", "GetQueueUrl"): ("sqs:GetQueueUrl", "queue"),
    ("sqs", "GetQueueAttributes"): ("sqs:GetQueueAttributes", "queue"),
    ("sqs", "ReceiveMessage"): ("sqs:ReceiveMessage", "queue"),
    ("sqs", "DeleteMessage"): ("sqs:DeleteMessage", "queue"),
    ("sqs", "DeleteMessageBatch"): ("sqs:DeleteMessage", "queue"),
    ("sqs", "ChangeMessageVisibility"): ("sqs:ChangeMessageVisibility", "queue"),
    ("sqs", "ChangeMessageVisibilityBatch"): ("sqs:ChangeMessageVisibility", "queue"),
    ("sqs", "SendMessage"): ("sqs:SendMessage", "queue"),
    ("sqs", "SendMessageBatch"): ("sqs:SendMessage", "queue"),
    ("sns", "Publish"): ("sns:Publish", "topic"),
    ("sns", "PublishBatch"): ("sns:Publish", "topic"),
    ("sns", "GetTopicAttributes"): ("sns:GetTopicAttributes", "topic"),
    ("dynamodb", "GetItem"): ("dynamodb:GetItem", "table"),
    ("dynamodb", "PutItem"): ("dynamodb:PutItem", "table"),
    ("dynamodb", "BatchWriteItem"): ("dynamodb:BatchWriteItem", "table"),
    ("dynamodb", "UpdateItem"): ("dynamodb:UpdateItem", "table"),
    ("dynamodb", "DeleteItem"): ("dynamodb:DeleteItem", "table"),
    ("dynamodb", "DescribeTable"): ("dynamodb:DescribeTable", "table"),
    ("dynamodb", "Query"): ("dynamodb:Query", "table"),
    ("ses", "SendEmail"): ("ses:SendEmail", "identity"),
    ("s3", "PutObject"): ("s3:PutObject", "object"),
    ("s3", "CreateMultipartUpload"): ("s3:PutObject", "object"),
    ("s3", "UploadPart"): ("s3:PutObject", "object"),
    ("s3", "CompleteMultipartUpload"): ("s3:PutObject", "object"),
    ("s3", "AbortMultipartUpload"): ("s3:AbortMultipartUpload", "object"),
    ("s3", "ListParts"): ("s3:ListMultipartUploadParts", "object"),
    ("s3", "GetObject"): ("s3:GetObject", "object"),
    ("s3", "HeadObject"): ("s3:GetObject", "object"),
    ("s3", "DeleteObject"): ("s3:DeleteObject", "object"),
    ("s3", "ListObjectsV2"): ("s3:ListBucket", "bucket"),
    ("s3", "ListObjects"): ("s3:ListBucket", "bucket"),
    ("s3", "HeadBucket"): ("s3:ListBucket", "bucket"),
    ("s3", "ListMultipartUploads"): ("s3:ListBucketMultipartUploads", "bucket"),
}
# Calls IAM lets any authenticated caller make.
UNAUTHORISED = {("sts", "GetCallerIdentity")}
# S3 asks KMS for a data key to write an object and decrypts it to read one; a
# multipart upload needs both (each part's key is decrypted to complete it).
KMS_ACTIONS = {
    "PutObject": ("kms:GenerateDataKey",),
    "CreateMultipartUpload": ("kms:GenerateDataKey", "kms:Decrypt"),
    "UploadPart": ("kms:GenerateDataKey", "kms:Decrypt"),
    "CompleteMultipartUpload": ("kms:Decrypt",),
    "GetObject": ("kms:Decrypt",),
    "HeadObject": ("kms:Decrypt",),
}


@dataclasses.dataclass(frozen=True)
class Account:
    """Where the calls were made: the account, the region, and the customer key each
    encrypted bucket uses."""

    account_id: str
    region: str
    bucket_keys: dict[str, str] = dataclasses.field(default_factory=dict)

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"


def requests_of(call: Call, account: Account) -> list[Request]:
    """The IAM requests one call makes (several when S3 calls KMS for it)."""
    if (call.service, call.operation) in UNAUTHORISED:
        return []
    try:
        action, kind = ACTIONS[call.service, call.operation]
    except KeyError:
        raise KeyError(f"no IAM mapping for {call.service}:{call.operation}") from None
    if kind == "table" and "," in call.params["TableName"]:
        # A BatchWriteItem to several tables is authorised once for each.
        tables = call.params["TableName"].split(",")
        calls = [dataclasses.replace(call, params={"TableName": t}) for t in tables]
        return [Request(action, _resource(kind, c, account), {}) for c in calls]
    request = Request(action, _resource(kind, call, account), _context(kind, call))
    return [request, *_kms_requests(call, account)]


def _resource(kind: str, call: Call, account: Account) -> str:
    params = call.params
    if kind == "queue":
        name = (
            params.get("QueueName")
            or urlparse(params["QueueUrl"]).path.rstrip("/").rsplit("/", 1)[-1]
        )
        return account.arn("sqs", name)
    if kind == "topic":
        return params["TopicArn"]
    if kind == "table":
        return account.arn("dynamodb", f"table/{params['TableName']}")
    if kind == "identity":
        return account.arn("ses", f"identity/{parseaddr(params['Source'])[1]}")
    if kind == "bucket":
        return f"arn:aws:s3:::{params['Bucket']}"
    return f"arn:aws:s3:::{params['Bucket']}/{params['Key']}"


def _context(kind: str, call: Call) -> dict[str, str]:
    if kind == "identity":
        return {"ses:FromAddress": parseaddr(call.params["Source"])[1]}
    if call.operation in ("ListObjectsV2", "ListObjects"):
        return {"s3:prefix": call.params.get("Prefix", "")}
    return {}


def _kms_requests(call: Call, account: Account) -> list[Request]:
    key = account.bucket_keys.get(call.params.get("Bucket", ""))
    if call.service != "s3" or key is None:
        return []
    via = {"kms:ViaService": f"s3.{account.region}.amazonaws.com"}
    return [Request(action, key, via) for action in KMS_ACTIONS.get(call.operation, ())]
