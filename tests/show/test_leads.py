"""Measured leads: their median, their bounds, and saved measures taken back whatever the file holds."""

from __future__ import annotations

from hypothesis import given, strategies as st

from custom_components.propnet.show.leads import KEEP, MAX_LEAD_MS, Leads


def test_a_lead_is_the_median_of_the_last_measures_so_one_slow_reply_moves_it_little() -> (
    None
):
    """Eight quick replies and one Zigbee retry: the lead stays quick; the oldest measures fall away."""
    leads = Leads()
    assert leads.lead_ms("light.turn_on light.hall", 200) == 200
    for took in [120, 118, 121, 119, 2_500, 122, 120, 117, 121]:
        leads.add("light.turn_on light.hall", took)
    assert leads.lead_ms("light.turn_on light.hall", 200) == 120
    for _ in range(KEEP):
        leads.add("light.turn_on light.hall", 400)
    assert leads.lead_ms("light.turn_on light.hall", 200) == 400


def test_measures_survive_their_own_round_trip() -> None:
    """What is saved is what comes back."""
    leads = Leads()
    leads.add("script.fog", 310.4)
    leads.add("script.fog", 99_999)
    again = Leads()
    assert again.restore(leads.measures()) == 0
    assert again.measures() == {"script.fog": [310, MAX_LEAD_MS]}


saved_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=12)
        | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=20), saved_values, max_size=6))
def test_whatever_a_saved_file_holds_restoring_never_raises_and_keeps_only_sound_measures(
    saved: dict[str, object],
) -> None:
    """Each target is either taken (at most KEEP measures, each within bounds) or counted as dropped."""
    leads = Leads()
    dropped = leads.restore(saved)
    kept = leads.measures()
    assert dropped + len(kept) == len(saved)
    for key, values in kept.items():
        assert key in saved
        assert 1 <= len(values) <= KEEP
        assert all(0 <= v <= MAX_LEAD_MS for v in values)
