"""Why a media file was refused.

`MediaError` is a `CovisorError`, so the HTTP adapter maps it to the error shape and status of
docs/PROTOCOL.md without knowing about media: `unsupported` (415) for a type we do not accept or
cannot decode, `too_large` (413) for bytes or pixels over a limit, `bad_request` (400) for a file
that claims a supported type but is damaged or truncated.
"""

from __future__ import annotations

from covisor.kernel.errors import CovisorError


class MediaError(CovisorError):
    """An upload or media file was refused; nothing was stored and no temp file is left."""

    def __reduce__(self) -> tuple[type[MediaError], tuple[str, str]]:
        # Raised inside process-pool workers: must survive pickling back to the server.
        return (type(self), (self.code, self.message))
