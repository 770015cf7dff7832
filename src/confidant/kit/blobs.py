"""Opaque byte objects by key: files under a folder (the embedded default), or objects in
an S3-compatible bucket (AWS S3, MinIO, Ceph) when one is configured, so that API pods
and workers share no volume. Callers seal what they store; neither side sees plaintext."""

from __future__ import annotations

import functools
import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from confidant.config import Settings

DELETE_BATCH = 1000  # the most one S3 DeleteObjects call takes


# An object is written before its row commits: one younger than this may be a row's
# that is about to, and is never swept.
SWEEP_GRACE_SECONDS = 3600.0


def sweep(store: BlobStore, kept: set[str]) -> int:
    """Delete the objects whose key is not in `kept` (their rows went with a cascade)."""
    orphans = [key for key in store.keys(SWEEP_GRACE_SECONDS) if key not in kept]
    if orphans:
        store.delete(orphans)
    return len(orphans)


class BlobStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, keys: list[str]) -> None: ...
    def delete_prefix(self, prefix: str) -> None: ...
    def keys(self, older_than_seconds: float = 0.0) -> list[str]: ...


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

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            (self.root / key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        shutil.rmtree(self.root / prefix, ignore_errors=True)

    def keys(self, older_than_seconds: float = 0.0) -> list[str]:
        if not self.root.is_dir():
            return []
        cutoff = time.time() - older_than_seconds
        found = (p for p in self.root.rglob("*") if p.is_file() and p.suffix != ".partial")
        return sorted(str(p.relative_to(self.root)) for p in found if p.stat().st_mtime <= cutoff)


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

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), DELETE_BATCH):
            batch = [{"Key": self.prefix + key} for key in keys[start : start + DELETE_BATCH]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch})

    def delete_prefix(self, prefix: str) -> None:
        self.delete([key for key in self.keys() if key.startswith(prefix)])

    def keys(self, older_than_seconds: float = 0.0) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
        return [
            item["Key"][len(self.prefix) :]
            for page in pages
            for item in page.get("Contents", [])
            if item["LastModified"] <= cutoff
        ]


def blob_store(settings: Settings, area: str) -> BlobStore:
    """Where `area` ("adapters") keeps its objects under these settings: the bucket, or
    a folder in DATA_DIR."""
    return bucket_store(settings, area) or FolderBlobs(settings.data_dir / area)


def bucket_store(settings: Settings, area: str) -> BlobStore | None:
    """The bucket's objects of `area`, or None when no bucket is configured (then the
    caller keeps them where it does by default: the database, for voice clips)."""
    if not settings.object_store_bucket:
        return None
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
