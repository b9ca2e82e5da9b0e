"""The vocabulary every layer shares: domain terms, the calendar clock, random streams, compiled kernels.

Nothing here knows about scenarios, the model, results or the command line.
"""
