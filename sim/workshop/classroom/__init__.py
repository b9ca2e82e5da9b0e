"""The negotiation game in a classroom: many teams' browsers, one facilitator, nothing lost.

Layers inside this subpackage, from the bottom:

* :mod:`.store`: the SQLite file (WAL) where every seat, move, timer, closed turn
  and forecast is written as it happens;
* :mod:`.engine`: where the games run (:class:`sim.workshop.game.Game` and its
  strategies), in this process or, under the server, in a worker process so that
  the model's turns do not hold up the pages;
* :mod:`.room` (with :mod:`.facilitation`): the session glue. It closes each
  game's turns, checks moves with :func:`sim.workshop.moves.parse_moves`, lets a
  built-in strategy (:mod:`sim.workshop.strategies`) play a side no team holds,
  and rebuilds every game from the store after a crash. It holds no game rules;
* :mod:`.debrief`: the model's distribution for the scenario, the class's forecasts
  scored (:mod:`sim.workshop.forecast`) and "same luck, one move changed"
  (:mod:`sim.workshop.records`);
* :mod:`.svg`: small server-drawn charts (no script, nothing from a CDN);
* :mod:`.transport`, :mod:`.app` and :mod:`.serve`: bounded request bodies and live-update
  wake-ups, the Starlette web app (routes and pages), and the uvicorn server.
  Only these three import web libraries, and the CLI imports them inside its command.
"""
