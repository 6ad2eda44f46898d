"""Object storage through fsspec: one filesystem per URL, checks with clear errors, conditional writes.

Object stores work (``s3://`` through s3fs, ``gs://`` through gcsfs, ``az://``
through adlfs); other fsspec schemes (``ftp://``, ``hdfs://``, ...) are
refused with the list of those that work, since an output needs objects
written whole. A scheme is matched case-insensitively (``S3://`` is s3).
Credentials come from the filesystem's usual places: for S3 the AWS
variables (``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``, ``AWS_ENDPOINT_URL`` for
an S3-compatible server). Small control objects (the manifest, the lease)
are written with a condition where the store has one, so that two writers
can never both win: S3's ``If-None-Match: *`` (create only) and
``If-Match: <etag>`` (replace only what was read). Elsewhere the check and
the write are two calls, which the README states.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from typing import Any

import fsspec
from fsspec.asyn import sync

from pipeline.store.layout import OutputError

# Fail in seconds, not minutes, when the endpoint is down; a few retries for
# the throttling any real object store answers with now and then.
S3_OPTIONS: dict[str, Any] = {
    "config_kwargs": {"connect_timeout": 5, "read_timeout": 60, "retries": {"max_attempts": 3, "mode": "standard"}}
}


# The schemes docclean reads and writes, and the package that gives fsspec each one.
SCHEMES = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs", "abfss": "adlfs"}


class Conflict(Exception):
    """A conditional write lost: the object was created or changed by someone else."""


def is_url(place: Any) -> bool:
    """Whether a --raw/--out value names object storage rather than a local folder.

    >>> is_url("s3://bucket/clean"), is_url("S3://bucket/clean"), is_url("data/clean"), is_url("file:///srv/clean")
    (True, True, False, False)
    """
    return isinstance(place, str) and "://" in place and not place.lower().startswith("file://")


def protocol_of(url: str) -> str:
    """The URL's scheme, lower-cased.

    >>> protocol_of("S3://bucket/x")
    's3'
    """
    return url.split("://", 1)[0].lower()


def normalized(url: str) -> str:
    """``url`` with its scheme in lower case, as fsspec knows it (other places as they are).

    >>> normalized("S3://Bucket/Pages"), normalized("data/raw")
    ('s3://Bucket/Pages', 'data/raw')
    """
    if not is_url(url):
        return url
    return protocol_of(url) + "://" + url.split("://", 1)[1]


def working_schemes() -> str:
    """The schemes that work here, and the packages the others need, in words.

    >>> "s3://" in working_schemes()
    True
    """
    installed = [f"{scheme}://" for scheme, package in SCHEMES.items() if importlib.util.find_spec(package) is not None]
    needs: dict[str, list[str]] = {}
    for scheme, package in SCHEMES.items():
        if f"{scheme}://" not in installed:
            needs.setdefault(package, []).append(f"{scheme}://")
    line = f"URLs that work here: {', '.join(installed) or 'none'}"
    return line + "".join(
        f"; {', '.join(schemes)} need {package} (pip install {package})" for package, schemes in needs.items()
    )


def check_scheme(url: str) -> None:
    """Refuse (`OutputError`, before anything is contacted) a URL docclean cannot use: its scheme, its package, no bucket.

    >>> check_scheme("S3://bucket/clean")
    >>> check_scheme("ftp://host/clean")  # doctest: +NORMALIZE_WHITESPACE, +ELLIPSIS
    Traceback (most recent call last):
    ...
    pipeline.store.layout.OutputError: 'ftp://host/clean': ftp:// URLs are not supported (docclean works with
      object stores); give a local folder or an object store URL. URLs that work here: s3://, s3a://...
    """
    protocol = protocol_of(url)
    package = SCHEMES.get(protocol)
    if package is None:
        try:
            fsspec.get_filesystem_class(protocol)
        except (ValueError, ImportError):
            raise OutputError(
                f"{url!r}: no filesystem is known for {protocol}:// URLs; give a local folder or an "
                f"object store URL such as s3://bucket/prefix. {working_schemes()}"
            ) from None
        raise OutputError(
            f"{url!r}: {protocol}:// URLs are not supported (docclean works with object stores); "
            f"give a local folder or an object store URL. {working_schemes()}"
        )
    try:
        fsspec.get_filesystem_class(protocol)
    except (ValueError, ImportError):
        raise OutputError(
            f"{url!r}: {protocol}:// URLs need the {package} package, which is not installed "
            f"(pip install {package}). {working_schemes()}"
        ) from None
    if not url.split("://", 1)[1].strip("/"):
        raise OutputError(f"{url!r} names no bucket; give {protocol}://BUCKET/PREFIX")


def filesystem(url: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The fsspec filesystem for ``url`` and the path inside it; `OutputError` when the URL cannot be used."""
    check_scheme(url)
    url = normalized(url)
    protocol = protocol_of(url)
    options = S3_OPTIONS if protocol in ("s3", "s3a") else {}
    # fsspec would hand back a cached instance keyed by arguments only, with the
    # credentials of the first call: a changed AWS_PROFILE must take effect.
    try:
        fs, path = fsspec.core.url_to_fs(url, skip_instance_cache=True, **options)
    except Exception as error:  # noqa: BLE001 - a URL whose filesystem cannot be made cannot be used
        raise OutputError(describe_failure(url, error)) from None
    return fs, path.rstrip("/")


def describe_failure(url: str, error: BaseException) -> str:
    """One line for a failed call to the store: denied, missing, or unreachable, with what to do."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    if isinstance(error, PermissionError):
        return (
            f"access to {url} was denied ({text}); check the credentials (AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)"
        )
    if isinstance(error, FileNotFoundError):
        return f"{url}: {text}; create the bucket first, or fix the URL"
    if type(error).__name__ in ("NoCredentialsError", "PartialCredentialsError"):
        # botocore looked everywhere it looks (environment, profile files, instance role) and found none.
        return (
            f"no credentials were found for {url} ({text}); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
            "or AWS_PROFILE, where the run runs (a deployment: its job variables' env)"
        )
    return f"cannot reach the object store for {url} ({type(error).__name__}: {text}); check AWS_ENDPOINT_URL and the network"


def check_reachable(url: str, fs: fsspec.AbstractFileSystem, path: str) -> None:
    """Refuse (OutputError, before any work) a store that cannot be reached, denies access, or lacks the bucket."""
    bucket = path.split("/", 1)[0]
    try:
        fs.invalidate_cache()
        fs.ls(bucket, detail=False)
    except Exception as error:  # noqa: BLE001 - every failure here means the URL cannot be used
        raise OutputError(describe_failure(url, error)) from None


@dataclass
class Objects:
    """Small objects under one root, read and written whole, with conditions where the store offers them."""

    fs: fsspec.AbstractFileSystem
    root: str

    @property
    def conditional(self) -> bool:
        """Whether writes are conditional in the store itself (S3), not checked then written."""
        return hasattr(self.fs, "_call_s3")

    def _key(self, name: str) -> tuple[str, str]:
        bucket, _, key = f"{self.root}/{name}".partition("/")
        return bucket, key

    def get(self, name: str) -> tuple[bytes, str] | None:
        """The object's bytes and its version tag, or None when there is none."""
        if self.conditional:
            bucket, key = self._key(name)

            async def fetch() -> tuple[bytes, str]:
                response = await self.fs._call_s3("get_object", Bucket=bucket, Key=key)
                body = await response["Body"].read()
                return body, response["ETag"]

            try:
                return sync(self.fs.loop, fetch)
            except FileNotFoundError:
                return None
        try:
            data = self.fs.cat_file(f"{self.root}/{name}")
        except FileNotFoundError:
            return None
        return data, hashlib.sha256(data).hexdigest()

    def put(self, name: str, data: bytes, *, replacing: str | None = None) -> str:
        """Write ``name`` if it is absent (``replacing`` None) or still at tag ``replacing``; its new tag.

        Raises `Conflict` when another writer got there first.
        """
        if self.conditional:
            bucket, key = self._key(name)
            condition = {"IfMatch": replacing} if replacing else {"IfNoneMatch": "*"}
            try:
                return self.fs.call_s3("put_object", Bucket=bucket, Key=key, Body=data, **condition)["ETag"]
            except OSError as error:
                if (
                    "pre-condition" in str(error).lower()
                    or "precondition" in str(error).lower()
                    or "conflict" in str(error).lower()
                ):
                    raise Conflict(f"{self.root}/{name} was changed by another writer") from None
                raise
        now = self.get(name)
        if (now is None) != (replacing is None) or (now is not None and now[1] != replacing):
            raise Conflict(f"{self.root}/{name} was changed by another writer")
        self.fs.pipe_file(f"{self.root}/{name}", data)
        return hashlib.sha256(data).hexdigest()

    def delete(self, name: str) -> None:
        try:
            self.fs.rm_file(f"{self.root}/{name}")
        except FileNotFoundError:
            pass
