"""The options of the agreement and ranking statistics that pages, the API and the commands offer.

A module of its own, without the numeric libraries that annotation.agreement and annotation.ranking import
(numpy, pandas, scipy), so that a web process can describe the options without loading them.
"""

LEVELS = ("nominal", "ordinal", "interval", "ratio")  # of measurement, for Krippendorff's alpha
DEFAULT_LEVEL = "ordinal"
NEITHER_OPTIONS = ("tie", "drop")  # what a pairwise ranking does with "both" / "neither" verdicts
DEFAULT_NEITHER = "tie"
DEFAULT_REPLICATES = 1000  # bootstrap replicates per interval
DEFAULT_SEED = 0
