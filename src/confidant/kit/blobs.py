"""Opaque byte objects by key: files under a folder (the embedded default), or objects in
an S3-compatible bucket (AWS S3, MinIO, Ceph) when one is configured, so that API pods
and workers share no volume. Callers seal what they store; neither side sees plaintext."""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path
from typing import Any, Protocol

from confidant.config import Settings


class BlobStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete_prefix(self, prefix: str) -> None: ...


class FolderBlobs:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
            f.write(data)
        os.replace(partial, path)  # readers never see half an object

    def get(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def delete_prefix(self, prefix: str) -> None:
        shutil.rmtree(self.root / prefix, ignore_errors=True)


class BucketBlobs:
    """Objects under `prefix` in one bucket; S3 writes are atomic per object."""

    def __init__(self, client: Any, bucket: str, prefix: str) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data)

    def get(self, key: str) -> bytes:
        response = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        return bytes(response["Body"].read())

    def delete_prefix(self, prefix: str) -> None:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        )
        for page in pages:
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:  # at most 1,000 a page, which is what one delete_objects takes
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys})


def blob_store(settings: Settings, area: str) -> BlobStore:
    """Where `area` ("adapters") keeps its objects under these settings."""
    if not settings.object_store_bucket:
        return FolderBlobs(settings.data_dir / area)
    client = _client(
        settings.object_store_endpoint_url,
        settings.object_store_region,
        settings.object_store_access_key_id,
        settings.object_store_secret_access_key,
    )
    return BucketBlobs(
        client, settings.object_store_bucket, f"{settings.object_store_prefix}{area}/"
    )


@functools.lru_cache(maxsize=4)  # a boto3 client is thread-safe and costly to make
def _client(
    endpoint_url: str | None, region: str, access_key_id: str | None, secret_key: str | None
) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_key,
    )
