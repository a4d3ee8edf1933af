"""Objects through a Multi-Region Access Point ARN with an unmodified boto3, via proxy mode.

usage: mrap_proxy_boto3.py MRAP_ARN [REGION]

MRAP_ARN is `arn:aws:s3::{account}:accesspoint/{alias}`. No endpoint is configured: boto3 sends
the requests to `https://{alias}.accesspoint.s3-global.amazonaws.com`, signed with SigV4A (which
botocore does only with `awscrt` installed), and reaches the gateway because the environment
says so:

    HTTPS_PROXY=http://127.0.0.1:4566        the gateway (it answers CONNECT for MRAP hosts)
    AWS_CA_BUNDLE=.data/proxy-ca/ca.pem      the gateway's local CA
    AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY

Does put_object, get_object, head_object, list_objects_v2, delete_object through the ARN, leaves
`proxy/kept.txt` (body "kept through the proxy") for the caller to check, and prints
"mrap proxy boto3: OK" at the end; raises on the first difference.
"""

import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ARN = sys.argv[1]
REGION = sys.argv[2] if len(sys.argv) > 2 else "us-east-1"

try:
    import awscrt  # noqa: F401  (botocore signs SigV4A only with it)
except ImportError:
    sys.exit("awscrt is required for SigV4A (MRAP ARNs): pip install awscrt")

for var in ("AWS_CA_BUNDLE",):
    if not os.environ.get(var):
        sys.exit(f"{var} must be set (see the module docstring)")
if not (os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy")):
    sys.exit("HTTPS_PROXY must point at the gateway (see the module docstring)")


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


s3 = boto3.client(
    "s3",
    region_name=REGION,
    config=Config(retries={"max_attempts": 1}, connect_timeout=10, read_timeout=30),
)

key = "proxy/hello.txt"
body = b"hello through CONNECT and TLS\n" * 100

put = s3.put_object(Bucket=ARN, Key=key, Body=body, ContentType="text/plain")
expect(put["ResponseMetadata"]["HTTPStatusCode"] == 200, f"put_object: {put}")
etag = put["ETag"]
# The gateway answered, not something else on the way.
expect(put["ResponseMetadata"]["HTTPHeaders"].get("x-amz-request-id"), "a request id")

got = s3.get_object(Bucket=ARN, Key=key)
expect(got["Body"].read() == body, "get_object returns what was put")
expect(got["ETag"] == etag, f"get_object ETag {got['ETag']} != {etag}")
expect(got["ContentType"] == "text/plain", f"ContentType {got['ContentType']}")

head = s3.head_object(Bucket=ARN, Key=key)
expect(head["ContentLength"] == len(body), f"head_object: {head['ContentLength']}")

ranged = s3.get_object(Bucket=ARN, Key=key, Range="bytes=0-4")
expect(ranged["Body"].read() == b"hello", "a ranged get")

s3.put_object(Bucket=ARN, Key="proxy/kept.txt", Body=b"kept through the proxy")

listed = s3.list_objects_v2(Bucket=ARN, Prefix="proxy/")
keys = sorted(o["Key"] for o in listed.get("Contents", []))
expect(keys == ["proxy/hello.txt", "proxy/kept.txt"], f"list_objects_v2: {keys}")

deleted = s3.delete_object(Bucket=ARN, Key=key)
expect(deleted["ResponseMetadata"]["HTTPStatusCode"] == 204, f"delete_object: {deleted}")

try:
    s3.get_object(Bucket=ARN, Key=key)
    raise AssertionError("get_object after delete_object succeeded")
except ClientError as e:
    code = e.response["Error"]["Code"]
    expect(code == "NoSuchKey", f"get_object after delete: {code}")

listed = s3.list_objects_v2(Bucket=ARN, Prefix="proxy/")
keys = [o["Key"] for o in listed.get("Contents", [])]
expect(keys == ["proxy/kept.txt"], f"list_objects_v2 after delete: {keys}")

print("mrap proxy boto3: OK")
