"""The object API's core flows through boto3, unmodified apart from the endpoint.

usage: objects_boto3.py ENDPOINT REGION
Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Runs every flow in path style
and in virtual-host style (`{bucket}.localhost`, which this script resolves to 127.0.0.1 itself),
raises on the first difference, and prints "boto3 objects: OK" at the end.
"""

import base64
import hashlib
import io
import os
import socket
import sys
import zlib

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT, REGION = sys.argv[1], sys.argv[2]
PORT = ENDPOINT.rsplit(":", 1)[1]
MIB = 1024 * 1024

# `{bucket}.localhost` → loopback, whatever the machine's resolver does with it.
_getaddrinfo = socket.getaddrinfo


def _loopback_getaddrinfo(host, *args, **kwargs):
    if isinstance(host, str) and host.endswith(".localhost"):
        host = "127.0.0.1"
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _loopback_getaddrinfo

try:
    import awscrt  # noqa: F401  (CRC64NVME needs it in botocore)

    HAVE_CRT = True
except ImportError:
    HAVE_CRT = False


def client(style):
    endpoint = ENDPOINT if style == "path" else f"http://localhost:{PORT}"
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        config=Config(s3={"addressing_style": style}, retries={"max_attempts": 1}),
    )


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def expect_error(fn, code, status, **kwargs):
    try:
        out = fn(**kwargs)
    except ClientError as e:
        got_code = e.response["Error"]["Code"]
        got_status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        expect(
            (got_code, got_status) == (code, status),
            f"{fn.__name__}: expected {code} ({status}), got {got_code} ({got_status})",
        )
        return
    raise AssertionError(f"{fn.__name__}: expected {code} ({status}), got success: {out}")


def quoted_md5(data):
    return '"' + hashlib.md5(data).hexdigest() + '"'


def prng(seed, n):
    """Deterministic bytes (not the Rust PRNG; only determinism matters here)."""
    out = bytearray()
    block = seed.to_bytes(8, "little")
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block * 64
    return bytes(out[:n])


_counter = [0]


def fresh_bucket(s3, tag):
    _counter[0] += 1
    name = f"boto-{tag}-{os.getpid() % 100000}-{_counter[0]}"
    kwargs = {}
    if REGION != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": REGION}
    # Buckets are created path style: bucket addressing is not under test here.
    client("path").create_bucket(Bucket=name, **kwargs)
    return name


def round_trip(s3):
    b = fresh_bucket(s3, "basic")
    data = b"hello from boto3"
    put = s3.put_object(Bucket=b, Key="dir/k.txt", Body=data, Metadata={"Color": "blue"},
                        CacheControl="max-age=5", ContentDisposition="inline")
    expect(put["ETag"] == quoted_md5(data), f"PutObject ETag {put['ETag']}")
    head = s3.head_object(Bucket=b, Key="dir/k.txt")
    expect(head["ContentLength"] == len(data), f"HeadObject length {head}")
    expect(head["ETag"] == quoted_md5(data), "HeadObject ETag")
    # botocore sends no Content-Type: S3's default.
    expect(head["ContentType"] == "binary/octet-stream", f"default type {head['ContentType']}")
    expect(head["Metadata"] == {"color": "blue"}, f"metadata {head['Metadata']}")
    expect(head["CacheControl"] == "max-age=5", "Cache-Control")
    expect(head["ContentDisposition"] == "inline", "Content-Disposition")
    got = s3.get_object(Bucket=b, Key="dir/k.txt")
    expect(got["Body"].read() == data, "GetObject body")
    ranged = s3.get_object(Bucket=b, Key="dir/k.txt", Range="bytes=0-4")
    expect(ranged["ResponseMetadata"]["HTTPStatusCode"] == 206, "206 for a range")
    expect(ranged["ContentRange"] == f"bytes 0-4/{len(data)}", ranged.get("ContentRange"))
    expect(ranged["Body"].read() == data[:5], "ranged body")
    s3.delete_object(Bucket=b, Key="dir/k.txt")
    expect_error(s3.get_object, "NoSuchKey", 404, Bucket=b, Key="dir/k.txt")
    # HEAD errors have no body: botocore uses the status as the code.
    expect_error(s3.head_object, "404", 404, Bucket=b, Key="dir/k.txt")
    expect_error(s3.get_object, "NoSuchBucket", 404, Bucket=b + "-missing", Key="k")


def listing(s3):
    b = fresh_bucket(s3, "list")
    keys = ["a b/1", "a+b/2", "é/3", "plain/4", "top", "x=y&z"]
    for k in keys:
        s3.put_object(Bucket=b, Key=k, Body=k.encode())
    # boto3 adds encoding-type=url itself and decodes the answer: exact keys come back.
    out = s3.list_objects_v2(Bucket=b)
    got = [o["Key"] for o in out["Contents"]]
    expect(got == sorted(keys, key=lambda k: k.encode()), f"ListObjectsV2 keys {got}")
    out = s3.list_objects_v2(Bucket=b, Delimiter="/")
    expect([o["Key"] for o in out["Contents"]] == ["top", "x=y&z"], f"keys {out.get('Contents')}")
    prefixes = [p["Prefix"] for p in out["CommonPrefixes"]]
    expect(prefixes == ["a b/", "a+b/", "plain/", "é/"], f"CommonPrefixes {prefixes}")
    expect(out["KeyCount"] == 6, f"KeyCount {out['KeyCount']}")
    # Asked for explicitly, botocore leaves the encoding alone: S3's own escapes are visible.
    out = s3.list_objects_v2(Bucket=b, Delimiter="/", EncodingType="url")
    prefixes = [p["Prefix"] for p in out["CommonPrefixes"]]
    expect(prefixes == ["a%20b/", "a%2Bb/", "plain/", "%C3%A9/"], f"encoded prefixes {prefixes}")
    # The paginator follows continuation tokens to exactly all keys.
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=b, PaginationConfig={"PageSize": 2})
    walked = [o["Key"] for page in pages for o in page.get("Contents", [])]
    expect(walked == sorted(keys, key=lambda k: k.encode()), f"paginated keys {walked}")
    # v1 with a delimiter pages by NextMarker.
    pages = s3.get_paginator("list_objects").paginate(Bucket=b, Delimiter="/",
                                                       PaginationConfig={"PageSize": 2})
    entries = []
    for page in pages:
        entries += [o["Key"] for o in page.get("Contents", [])]
        entries += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    expect(sorted(entries) == sorted(["a b/", "a+b/", "plain/", "é/", "top", "x=y&z"]),
           f"v1 entries {entries}")


def multipart(s3):
    b = fresh_bucket(s3, "mp")
    parts = [prng(1, 5 * MIB), prng(2, 5 * MIB), prng(3, MIB + 7)]
    up = s3.create_multipart_upload(Bucket=b, Key="mp/object")
    uid = up["UploadId"]
    done = []
    for n, data in enumerate(parts, start=1):
        out = s3.upload_part(Bucket=b, Key="mp/object", UploadId=uid, PartNumber=n, Body=data)
        expect(out["ETag"] == quoted_md5(data), f"part {n} ETag")
        done.append({"PartNumber": n, "ETag": out["ETag"]})
    listed = s3.list_parts(Bucket=b, Key="mp/object", UploadId=uid)["Parts"]
    expect([(p["PartNumber"], p["Size"]) for p in listed] == [(1, 5 * MIB), (2, 5 * MIB), (3, MIB + 7)],
           f"ListParts {listed}")
    uploads = s3.list_multipart_uploads(Bucket=b).get("Uploads", [])
    expect([u["UploadId"] for u in uploads] == [uid], f"ListMultipartUploads {uploads}")
    out = s3.complete_multipart_upload(Bucket=b, Key="mp/object", UploadId=uid,
                                       MultipartUpload={"Parts": done})
    concat = b"".join(hashlib.md5(p).digest() for p in parts)
    expected = '"' + hashlib.md5(concat).hexdigest() + f'-{len(parts)}"'
    expect(out["ETag"] == expected, f"Complete ETag {out['ETag']} != {expected}")
    body = s3.get_object(Bucket=b, Key="mp/object")["Body"].read()
    expect(hashlib.md5(body).digest() == hashlib.md5(b"".join(parts)).digest(), "multipart bytes")

    # Abort → NoSuchUpload.
    up = s3.create_multipart_upload(Bucket=b, Key="mp/aborted")
    s3.abort_multipart_upload(Bucket=b, Key="mp/aborted", UploadId=up["UploadId"])
    expect_error(s3.list_parts, "NoSuchUpload", 404, Bucket=b, Key="mp/aborted",
                 UploadId=up["UploadId"])

    # s3transfer (upload_fileobj) as applications use it: CRC32 composite part checksums listed
    # in Complete; download_fileobj reads it back.
    data = prng(4, 11 * MIB)
    cfg = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB, max_concurrency=2)
    s3.upload_fileobj(io.BytesIO(data), b, "mp/transfer", Config=cfg)
    sink = io.BytesIO()
    s3.download_fileobj(b, "mp/transfer", sink, Config=cfg)
    expect(sink.getvalue() == data, "s3transfer round trip")
    head = s3.head_object(Bucket=b, Key="mp/transfer")
    expect(head["ETag"].endswith('-3"'), f"s3transfer ETag {head['ETag']}")


def copy_and_tags(s3):
    b = fresh_bucket(s3, "copy")
    b2 = fresh_bucket(s3, "copy2")
    s3.put_object(Bucket=b, Key="src key+1", Body=b"copy me", ContentType="text/plain",
                  Metadata={"origin": "src"}, Tagging="a=1&b=2")
    tags = s3.get_object_tagging(Bucket=b, Key="src key+1")["TagSet"]
    expect(sorted((t["Key"], t["Value"]) for t in tags) == [("a", "1"), ("b", "2")], f"tags {tags}")
    out = s3.copy_object(Bucket=b2, Key="dst", CopySource={"Bucket": b, "Key": "src key+1"})
    expect(out["CopyObjectResult"]["ETag"] == quoted_md5(b"copy me"), "copy ETag")
    head = s3.head_object(Bucket=b2, Key="dst")
    expect(head["Metadata"] == {"origin": "src"} and head["ContentType"] == "text/plain",
           f"COPY directive keeps metadata: {head}")
    s3.copy_object(Bucket=b2, Key="dst2", CopySource={"Bucket": b, "Key": "src key+1"},
                   MetadataDirective="REPLACE", Metadata={"new": "1"}, ContentType="text/x-new")
    head = s3.head_object(Bucket=b2, Key="dst2")
    expect(head["Metadata"] == {"new": "1"} and head["ContentType"] == "text/x-new",
           f"REPLACE directive: {head}")
    expect(s3.get_object(Bucket=b2, Key="dst2")["Body"].read() == b"copy me", "copied bytes")

    s3.put_object_tagging(Bucket=b, Key="src key+1", Tagging={"TagSet": [{"Key": "x", "Value": "y"}]})
    tags = s3.get_object_tagging(Bucket=b, Key="src key+1")["TagSet"]
    expect(tags == [{"Key": "x", "Value": "y"}], f"replaced tags {tags}")
    s3.delete_object_tagging(Bucket=b, Key="src key+1")
    expect(s3.get_object_tagging(Bucket=b, Key="src key+1")["TagSet"] == [], "tags deleted")


def checksums(s3):
    b = fresh_bucket(s3, "cksum")
    data = prng(5, 100_001)
    expected = {
        "CRC32": base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode(),
        "SHA1": base64.b64encode(hashlib.sha1(data).digest()).decode(),
        "SHA256": base64.b64encode(hashlib.sha256(data).digest()).decode(),
    }
    # botocore computes CRC32C and CRC64NVME only with awscrt (optional here); their values are
    # then checked for consistency between the put, head and get answers.
    if HAVE_CRT:
        expected["CRC32C"] = None
        expected["CRC64NVME"] = None
    for algorithm, value in expected.items():
        key = f"cksum/{algorithm}"
        put = s3.put_object(Bucket=b, Key=key, Body=data, ChecksumAlgorithm=algorithm)
        field = "Checksum" + algorithm
        expect(field in put, f"PutObject {algorithm} answers {field}: {put}")
        if value is not None:
            expect(put[field] == value, f"{algorithm}: {put[field]} != {value}")
        head = s3.head_object(Bucket=b, Key=key, ChecksumMode="ENABLED")
        expect(head.get(field) == put[field], f"HeadObject {algorithm}: {head.get(field)}")
        got = s3.get_object(Bucket=b, Key=key, ChecksumMode="ENABLED")
        expect(got.get(field) == put[field], f"GetObject {algorithm}")
        expect(got["Body"].read() == data, f"GetObject {algorithm} body")
    # A wrong checksum supplied by the caller is BadDigest.
    expect_error(s3.put_object, "BadDigest", 400, Bucket=b, Key="bad", Body=data,
                 ChecksumCRC32="AAAAAA==")
    expect_error(s3.head_object, "404", 404, Bucket=b, Key="bad")


def delete_objects(s3):
    b = fresh_bucket(s3, "del")
    for k in ["a", "b", "c & <d>"]:
        s3.put_object(Bucket=b, Key=k, Body=b"x")
    out = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "a"}, {"Key": "c & <d>"},
                                                          {"Key": "missing"}]})
    deleted = sorted(d["Key"] for d in out.get("Deleted", []))
    expect(deleted == ["a", "c & <d>", "missing"], f"verbose Deleted {deleted}")
    expect(not out.get("Errors"), f"Errors {out.get('Errors')}")
    out = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "b"}], "Quiet": True})
    expect(not out.get("Deleted") and not out.get("Errors"), f"quiet answer {out}")
    expect(s3.list_objects_v2(Bucket=b)["KeyCount"] == 0, "all deleted")
    # Now the bucket can go.
    s3.delete_bucket(Bucket=b)


def main():
    for style in ["path", "virtual"]:
        s3 = client(style)
        round_trip(s3)
        listing(s3)
        copy_and_tags(s3)
        checksums(s3)
        delete_objects(s3)
        print(f"boto3 objects ({style}): OK", flush=True)
    multipart(client("path"))
    print("boto3 objects: OK")


main()
