"""Smoke test for the S3-compatible (moto) peer."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError


def test_bucket_put_get(s3_server):
    s3 = boto3.client("s3", endpoint_url=s3_server.endpoint_url, **s3_server.credentials)
    s3.create_bucket(Bucket="wharf-smoke")
    body = b"\x00wharf segment bytes\xff" * 1000
    s3.put_object(Bucket="wharf-smoke", Key="topic/0/00000000000000000000.log", Body=body)

    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["wharf-smoke"]
    listed = s3.list_objects_v2(Bucket="wharf-smoke", Prefix="topic/0/")["Contents"]
    assert [(o["Key"], o["Size"]) for o in listed] == [("topic/0/00000000000000000000.log", len(body))]
    got = s3.get_object(Bucket="wharf-smoke", Key="topic/0/00000000000000000000.log")["Body"].read()
    assert got == body

    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket="wharf-smoke", Key="missing")
    assert err.value.response["Error"]["Code"] == "NoSuchKey"

    s3_server.reset()
    assert s3.list_buckets()["Buckets"] == []
