"""Document Reference Numbers: unique, always valid when issued, and every common typo caught."""

from __future__ import annotations

import pytest

from filing.domain.drn import Verdict, classify, new_drn, normalise, printed

ISSUED = 10_000
TYPO_SAMPLE = 2_000


@pytest.fixture(scope="module")
def issued() -> list[str]:
    return [new_drn() for _ in range(ISSUED)]


def test_ten_thousand_drns_are_unique_twelve_digits_and_pass_the_check(issued: list[str]) -> None:
    assert len(set(issued)) == ISSUED
    assert all(len(d) == 12 and d.isdigit() and d[0] != "0" for d in issued)
    assert all(classify(d) == (Verdict.WELL_FORMED, d) for d in issued)


def test_every_single_digit_typo_is_detected(issued: list[str]) -> None:
    missed = [
        typo
        for drn in issued[:TYPO_SAMPLE]
        for position in range(12)
        for digit in "0123456789"
        if digit != drn[position]
        for typo in [drn[:position] + digit + drn[position + 1 :]]
        if classify(typo)[0] is not Verdict.MISTYPED
    ]
    assert missed == []


def test_every_swap_of_two_neighbouring_digits_is_detected(issued: list[str]) -> None:
    swaps = [
        drn[:i] + drn[i + 1] + drn[i] + drn[i + 2 :]
        for drn in issued[:TYPO_SAMPLE]
        for i in range(11)
        if drn[i] != drn[i + 1]
    ]
    assert len(swaps) > TYPO_SAMPLE * 9
    assert [s for s in swaps if classify(s)[0] is not Verdict.MISTYPED] == []


def test_the_random_part_spans_all_eleven_digit_numbers() -> None:
    lowest, highest = new_drn(lambda n: 0), new_drn(lambda n: n - 1)
    assert lowest[:11] == "10000000000" and highest[:11] == "99999999999"
    assert classify(lowest)[0] is classify(highest)[0] is Verdict.WELL_FORMED


def test_printed_in_groups_of_four_and_read_back_with_spaces_or_hyphens() -> None:
    drn = new_drn()
    assert printed(drn) == f"{drn[:4]} {drn[4:8]} {drn[8:]}"
    for written in (printed(drn), f"{drn[:4]}-{drn[4:8]}-{drn[8:]}", f" {drn} ", f"{drn[:6]}\t{drn[6:]}"):
        assert normalise(written) == drn
        assert classify(written) == (Verdict.WELL_FORMED, drn)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12345678901",
        "1234567890123",
        "1234 5678 901x",
        "DRN123456789",
        "".join(chr(0xFF10 + int(d)) for d in "123456789012"),  # full-width digits
        "1234_5678_9012",
    ],
    ids=["empty", "eleven", "thirteen", "letter", "prefixed", "full-width", "underscores"],
)
def test_anything_but_twelve_ascii_digits_is_malformed(raw: str) -> None:
    assert classify(raw)[0] is Verdict.MALFORMED
