"""Figures and reports drawn from results folders. Plotting never simulates."""
