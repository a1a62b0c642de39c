"""Where ``download_file_to`` writes: a path (atomically) or a binary file object.

A path is written to a temporary file beside it, which replaces the path only
once the whole body has arrived; a failed download leaves the path as it was
and no temporary file behind. A file object is written to as the pieces come
and left open.
"""

from __future__ import annotations

import io
import os
import uuid
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Union

__all__ = ["Destination", "FileSink"]

#: What ``download_file_to(file, destination)`` writes to.
Destination = Union[str, "os.PathLike[str]", BinaryIO]


class FileSink:
    """A context manager taking the body's pieces; see the module docstring."""

    def __init__(self, destination: Destination) -> None:
        self.size = 0
        self._target: Path | None = None
        self._partial: Path | None = None
        self._handle: BinaryIO
        if isinstance(destination, (str, os.PathLike)):
            target = Path(destination)
            if target.is_dir():
                raise IsADirectoryError(f"destination is a directory, not a file: {str(target)!r}")
            self._target = target
            self._partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.part")
        elif isinstance(destination, io.TextIOBase) or not callable(
            getattr(destination, "write", None)
        ):
            raise TypeError(
                "destination must be a path or a file object opened for binary writing ('wb'), "
                f"got {type(destination).__name__}"
            )
        else:
            self._handle = destination

    def __enter__(self) -> FileSink:
        if self._partial is not None:
            self._handle = open(self._partial, "xb")
        return self

    def write(self, chunk: bytes) -> None:
        self._handle.write(chunk)
        self.size += len(chunk)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        partial, target = self._partial, self._target
        if partial is None or target is None:
            return
        self._handle.close()
        if exc_type is None:
            os.replace(partial, target)
        else:
            partial.unlink(missing_ok=True)
