"""Shopper grants: signed, expiring, bound to one conversation."""

from __future__ import annotations

import pytest

from covisor.kernel.errors import CovisorError
from covisor.kernel.identity import GrantSigner, Identity


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_grant_roundtrips_identity() -> None:
    signer = GrantSigner(b"k" * 32, FakeClock())
    shopper = Identity("s1", "caller", "Sam", "c1")
    token, _ = signer.issue(shopper, 60)
    assert signer.verify(token) == shopper


def test_expired_grant_is_refused() -> None:
    clock = FakeClock()
    signer = GrantSigner(b"k" * 32, clock)
    token, expires_at = signer.issue(Identity("s1", "customer", "Sam", "c1"), 60)
    clock.now = expires_at
    with pytest.raises(CovisorError, match="expired"):
        signer.verify(token)


def test_grant_signed_with_another_secret_is_refused() -> None:
    token, _ = GrantSigner(b"a" * 32, FakeClock()).issue(Identity("s1", "customer", "S", "c1"), 60)
    with pytest.raises(CovisorError) as refused:
        GrantSigner(b"b" * 32, FakeClock()).verify(token)
    assert refused.value.code == "unauthorized"


@pytest.mark.parametrize("token", ["", "g.", "g.abc", "g.abc.def", "x" * 500, "g.!!!.???"])
def test_mangled_grant_is_unauthorized_not_a_crash(token: str) -> None:
    with pytest.raises(CovisorError) as refused:
        GrantSigner(b"k" * 32, FakeClock()).verify(token)
    assert refused.value.code == "unauthorized"
