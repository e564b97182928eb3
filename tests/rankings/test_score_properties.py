"""The score rewards answering (issue 21, item 4): properties of API.md's formula
(rankings/formulas.py, pure functions over counts) over random small months.

- Answering a bad review never lowers that cadre's score, nor its rank in its month.
- A verdict of "accepted" never scores below "rejected" (nor below no verdict yet).

What the formula does NOT promise, shown by its smallest case: answering a bad review
whose reviewer then rejects the answer can score below leaving it unanswered. The
answer adds 30 / bad to the score; a first verdict, rejected, takes 10 (the rejection
rate goes from 0 to 1). With 4 bad reviews or more and no verdict yet, the rejection
costs more than the answer gains.
"""

import itertools
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from rankings.formulas import Counts, Line, figures, rank_lines

MAX_REVIEWS = 30


@st.composite
def month_counts(draw, max_reviews: int = MAX_REVIEWS) -> Counts:
    """One cadre's month: ratings split into satisfied (4-5), bad (1-2) and the rest (3);
    answers to some bad reviews and to some others; verdicts on some of the answers."""
    reviews = draw(st.integers(0, max_reviews))
    satisfied = draw(st.integers(0, reviews))
    bad = draw(st.integers(0, reviews - satisfied))
    bad_answered = draw(st.integers(0, bad))
    other_answered = draw(st.integers(0, reviews - bad))
    verdicts = draw(st.integers(0, bad_answered + other_answered))
    rejected = draw(st.integers(0, verdicts))
    return Counts(reviews, satisfied, bad, bad_answered, verdicts, rejected)


def score(counts: Counts) -> Decimal:
    return figures(counts).score


def answer_one(c: Counts) -> Counts:
    return Counts(c.reviews, c.satisfied, c.bad, c.bad_answered + 1, c.verdicts, c.rejected)


def verdict(c: Counts, *, accepted: bool) -> Counts:
    return Counts(
        c.reviews,
        c.satisfied,
        c.bad,
        c.bad_answered,
        c.verdicts + 1,
        c.rejected + (0 if accepted else 1),
    )


def rank_of(month: list[Counts], index: int) -> tuple:
    """(ranked or not, position) of line `index` in its month, lower is better."""
    lines = [
        Line(key=i, name=f"干部{i:02d}", counts=c, figures=figures(c)) for i, c in enumerate(month)
    ]
    line = next(x for x in rank_lines(lines) if x.key == index)
    return (line.rank is None, line.position)


@settings(max_examples=300, deadline=None)
@given(month=st.lists(month_counts(), min_size=1, max_size=12), data=st.data())
def test_answering_a_bad_review_never_lowers_the_score_nor_the_rank(month, data):
    answerable = [i for i, c in enumerate(month) if c.bad_answered < c.bad]
    if not answerable:
        return
    index = data.draw(st.sampled_from(answerable))
    answered = [*month]
    answered[index] = answer_one(month[index])
    assert score(answered[index]) >= score(month[index])
    assert rank_of(answered, index) <= rank_of(month, index)


@settings(max_examples=300, deadline=None)
@given(month=st.lists(month_counts(), min_size=1, max_size=12), data=st.data())
def test_an_accepted_verdict_never_scores_below_a_rejected_one(month, data):
    # An answer still waiting for its verdict: more answers than verdicts.
    waiting = [
        i
        for i, c in enumerate(month)
        if c.verdicts < c.bad_answered + (c.reviews - c.bad)  # at most, every other answered
    ]
    if not waiting:
        return
    index = data.draw(st.sampled_from(waiting))
    before = month[index]
    accepted, rejected = verdict(before, accepted=True), verdict(before, accepted=False)
    assert score(accepted) >= score(rejected)
    assert score(accepted) >= score(before)  # an acceptance never costs anything either
    with_accepted, with_rejected = [*month], [*month]
    with_accepted[index], with_rejected[index] = accepted, rejected
    assert rank_of(with_accepted, index) <= rank_of(with_rejected, index)


def _answer_then_rejected_costs(c: Counts) -> bool:
    return score(verdict(answer_one(c), accepted=False)) < score(c)


def test_the_smallest_month_where_an_answer_rejected_scores_below_no_answer():
    """Every month of up to 8 reviews, smallest first (reviews, then bad reviews, then
    the rest): the first where answering a bad review and having the answer rejected
    scores below leaving it unanswered is 4 reviews, all bad, none answered, no verdict:
    10.00 unanswered, 7.50 answered and rejected."""
    cases = (
        Counts(n, s, b, a, v, r)
        for n in range(1, 9)
        for b in range(1, n + 1)
        for s in range(n - b + 1)
        for a in range(b)
        for v, r in itertools.chain.from_iterable(
            ((v, r) for r in range(v + 1)) for v in range(a + (n - b) + 1)
        )
    )
    smallest = next(c for c in cases if _answer_then_rejected_costs(c))
    assert smallest == Counts(reviews=4, satisfied=0, bad=4, bad_answered=0)
    assert (score(smallest), score(verdict(answer_one(smallest), accepted=False))) == (
        Decimal("10.00"),
        Decimal("7.50"),
    )
    # Ranked (5 reviews): 5 bad, none answered, 10.00 against 6.00 when rejected.
    ranked = Counts(reviews=5, bad=5)
    assert (score(ranked), score(verdict(answer_one(ranked), accepted=False))) == (
        Decimal("10.00"),
        Decimal("6.00"),
    )
    # With 3 bad reviews or fewer the answer's 30 / bad outweighs any rejection.
    assert not any(
        _answer_then_rejected_costs(Counts(n, s, b, a, v, r))
        for n in range(1, 9)
        for b in range(1, 4)
        if b <= n
        for s in range(n - b + 1)
        for a in range(b)
        for v in range(a + (n - b) + 1)
        for r in range(v + 1)
    )
