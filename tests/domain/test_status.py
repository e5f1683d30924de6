"""A key's status as the contract orders it: EXPIRED wins over DISABLED, and a key expires at
the instant its expiresAt is reached (not a microsecond later)."""
from hypothesis import given, strategies as st

from app.domain.status import KeyStatus, key_status

moments = st.integers(min_value=0, max_value=2**62)


@given(enabled=st.booleans(), now=moments)
def test_a_key_without_expiry_is_active_or_disabled_by_its_switch(enabled, now):
    assert key_status(enabled, None, now) is (KeyStatus.ACTIVE if enabled else KeyStatus.DISABLED)


@given(enabled=st.booleans(), now=moments, past=st.integers(min_value=0, max_value=2**40))
def test_expired_wins_over_disabled_from_the_instant_of_expiry(enabled, now, past):
    assert key_status(enabled, now - past, now) is KeyStatus.EXPIRED


@given(enabled=st.booleans(), now=moments, ahead=st.integers(min_value=1, max_value=2**40))
def test_before_its_expiry_a_key_follows_its_switch(enabled, now, ahead):
    assert key_status(enabled, now + ahead, now) is (KeyStatus.ACTIVE if enabled else KeyStatus.DISABLED)
