"""Bounds on the work one model may ask for, so a hostile document is refused, not run.

A measurement model of a real calibration has tens of terms and nesting a few levels
deep (the GUM H.1–H.6 examples: under 40 nodes, depth 6). The bounds below leave two
orders of magnitude of room and keep the worst case of a request to about a second:
parsing, symbolic derivatives (second-order terms; their size can grow with depth), and
Monte Carlo, whose memory is trials × outputs × 8 bytes.
"""

MAX_EXPRESSION_CHARS = 20_000
MAX_NESTING = 50  # parentheses, calls and powers inside one another
MAX_NODES = 2_000  # operators, names and numbers in one expression
MAX_MODEL_NODES = 20_000  # every expression of a model, derived quantities substituted
MAX_DERIVATIVE_NODES = 200_000  # the symbolic derivatives GUM builds (second-order terms only)
MAX_SAMPLE_VALUES = 200_000_000  # trials × outputs kept in memory (1.6 GB of float64)
