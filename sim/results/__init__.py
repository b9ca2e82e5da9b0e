"""The results folder: the catalogue of outcomes and series, writing and reading tables, summaries.

Results never run the model: they hold what replications produced, whoever ran them.
"""
