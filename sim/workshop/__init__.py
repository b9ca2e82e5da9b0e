"""Teaching workshops: the negotiation game, its moves, strategies and records, the tournament,
and the class's forecasts with their scoring."""
