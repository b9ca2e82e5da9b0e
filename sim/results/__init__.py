"""Results of runs: the catalogue of outcomes and series, the results folder, summaries. Never simulates."""
