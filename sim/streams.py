"""Every random stream of the model, created in one place.

One master seed makes every result. Replication ``rep`` gets the seed sequence
that ``SeedSequence(master).spawn(n)[rep]`` would give, so any worker can build
it alone and results are bit-identical whatever the number of workers. Inside a
replication each random process draws from its own named stream, keyed by a
stable hash of its name: adding a new random process never shifts the draws of
the existing ones, and two scenarios run with the same seed share every stream
(common random numbers).
"""

from __future__ import annotations

import zlib

import numpy as np

#: The named streams and what each drives. A stream not listed here is a typo.
STREAMS: dict[str, str] = {
    "parameters": "one uniform per uncertain parameter, per replication",
    "licensing.arrivals": "daily counts and times of new export-licence applications",
    "licensing.attributes": "sector, destination, military use and trust of each application",
    "licensing.review": "reviewer working time per application",
    "licensing.decisions": "approve or reject, renew after expiry, re-apply after refusal",
    "supply.lead_times": "shipping lead time of each lot of magnets",
    "supply.buyers": "which US plant each licensed contract supplies (tied allocation)",
    "industry.plants": "size and starting stock of each US plant",
    "tariffs.court": "whether the court strikes the emergency tariffs",
    "negotiation.decisions": "each side's decision at each decision point",
    "game.us_strategy": "the US strategy's choices in the negotiation game (pain-driven)",
    "game.china_strategy": "China's strategy's choices in the negotiation game (pain-driven)",
}


def stream_key(name: str) -> int:
    """Stable 32-bit id of a stream or parameter name (same on every machine and run)."""
    return zlib.crc32(name.encode("utf-8"))


def replication_seed(master_seed: int, rep: int) -> np.random.SeedSequence:
    """The seed sequence of replication ``rep``: equal to ``SeedSequence(master).spawn(n)[rep]``."""
    return np.random.SeedSequence(master_seed, spawn_key=(rep,))


class Streams:
    """The random generators of one replication, created lazily by name."""

    def __init__(self, master_seed: int, rep: int):
        self.master_seed = master_seed
        self.rep = rep
        self._generators: dict[str, np.random.Generator] = {}

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        """The seed sequence behind stream ``name``."""
        if name not in STREAMS:
            raise KeyError(f"unknown random stream {name!r}; declare it in sim.streams.STREAMS")
        return np.random.SeedSequence(self.master_seed, spawn_key=(self.rep, stream_key(name)))

    def generator(self, name: str) -> np.random.Generator:
        """The generator of stream ``name`` (the same object on every call)."""
        gen = self._generators.get(name)
        if gen is None:
            gen = np.random.Generator(np.random.PCG64(self.seed_sequence(name)))
            self._generators[name] = gen
        return gen

    def parameter_uniform(self, path: str) -> float:
        """The uniform number in (0, 1) that drives parameter ``path`` in this replication."""
        ss = np.random.SeedSequence(
            self.master_seed, spawn_key=(self.rep, stream_key("parameters"), stream_key(path))
        )
        hi, lo = ss.generate_state(2, np.uint32)
        # 53 random bits, offset by half a step so that 0 and 1 never occur
        return ((int(hi) << 21 | int(lo) >> 11) + 0.5) / 2.0**53
