"""The public portal: capability search, links to certificate checks and published
comparisons, and complaints about instruments with their administrators' queue."""
