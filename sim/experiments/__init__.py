"""Experiments over many replications: runs (and resumes) on local processes or Dask, comparisons,
sweeps, sensitivity, variance, branches, scenario discovery, calibration, replay, queueing checks."""
