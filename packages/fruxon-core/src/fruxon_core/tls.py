"""TLS settings from the environment, as the official client reads them.

* ``FRUXON_CA_BUNDLE=/path/to/ca.pem`` -- trust these certificates too (a
  company proxy that re-signs TLS, a self-hosted API with a private CA), in
  addition to the usual ones.
* ``FRUXON_INSECURE=1`` (or ``true``/``yes``) -- do not verify certificates at
  all. For a development set-up only: anyone on the network path can then read
  and change the traffic, API key included. The first client that applies it
  in a process warns once (``RuntimeWarning``).

A client reads the environment when it is constructed and its transport
applies the settings to the HTTP session it creates; a ``session=`` you pass
in is used as it is. :meth:`TLSSettings.ssl_context` is how a transport gets
them (``ssl`` is imported only then).
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl

__all__ = ["CA_BUNDLE_VARIABLE", "INSECURE_VARIABLE", "TLSSettings"]

CA_BUNDLE_VARIABLE = "FRUXON_CA_BUNDLE"
INSECURE_VARIABLE = "FRUXON_INSECURE"
_TRUE = frozenset({"1", "true", "yes", "on"})

_warned = False
_warn_lock = threading.Lock()


@dataclass(frozen=True)
class TLSSettings:
    """How a transport verifies the server's certificate; the default changes nothing."""

    ca_bundle: str | None = None
    """A PEM file of extra certificate authorities to trust."""
    verify: bool = True
    """False: do not verify certificates (``FRUXON_INSECURE``)."""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> TLSSettings:
        """The settings ``FRUXON_CA_BUNDLE`` and ``FRUXON_INSECURE`` ask for."""
        env = os.environ if environ is None else environ
        bundle = env.get(CA_BUNDLE_VARIABLE, "").strip() or None
        insecure = env.get(INSECURE_VARIABLE, "").strip().lower() in _TRUE
        if bundle is not None and not os.path.isfile(bundle):
            raise ValueError(
                f"{CA_BUNDLE_VARIABLE}={bundle!r} is not a file: point it at a PEM file "
                "of certificate authorities, or unset it"
            )
        return cls(ca_bundle=bundle, verify=not insecure)

    @property
    def is_default(self) -> bool:
        """True when nothing is asked for: the library's own verification applies."""
        return self.verify and self.ca_bundle is None

    def ssl_context(self) -> ssl.SSLContext | None:
        """An ``SSLContext`` for these settings, or ``None`` for the library's default.

        With a CA bundle: the system's default context with the bundle's
        certificates loaded on top. Insecure: a context that checks neither
        the certificate nor the host name (and the one-time warning).
        """
        if self.is_default:
            return None
        import ssl

        if not self.verify:
            warn_insecure()
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        context = ssl.create_default_context()
        assert self.ca_bundle is not None
        context.load_verify_locations(cafile=self.ca_bundle)
        return context


def warn_insecure() -> None:
    """Warn, once per process, that certificates are not verified."""
    global _warned
    with _warn_lock:
        if _warned:
            return
        _warned = True
    warnings.warn(
        f"{INSECURE_VARIABLE} is set: TLS certificates of the Fruxon API are NOT verified. "
        "Anyone on the network path can read and change the traffic, your API key included.",
        RuntimeWarning,
        stacklevel=3,
    )
