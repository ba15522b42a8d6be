"""What a pairwise verdict may be (annotation.models.PairwiseVerdict): A or B is better, a tie, both good,
neither good. A pairwise rubric offers a subset holding A and B, e.g. A / B / tie or A / B / both / neither.
Pure, so that the statistics modules may import it."""

PAIRWISE_VERDICTS = ("A", "B", "tie", "both", "neither")
