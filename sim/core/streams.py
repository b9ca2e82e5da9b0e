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
from functools import lru_cache

import numpy as np

from sim.core.jit import inline, kernel, on_warm_up

#: The named streams and what each drives. A stream not listed here is a typo.
STREAMS: dict[str, str] = {
    "parameters": "one uniform per uncertain parameter, per replication",
    "licensing.arrivals": "daily counts and times of new export-licence applications",
    "licensing.attributes": "sector, destination, military use and trust of each application",
    "licensing.review": "reviewer working time per application",
    "licensing.decisions": "approve or reject, renew after expiry, re-apply after refusal",
    "licensing.backlog_terms": "how long each contract caught by the rule stays cleared, and its term left",
    "supply.lead_times": "shipping lead time of each lot of magnets",
    "supply.buyers": "which US plant each licensed contract supplies (tied allocation)",
    "industry.plants": "size and starting stock of each US plant",
    "industry.pipeline": "days of magnets inside parts on their way to each US plant",
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
            raise KeyError(f"unknown random stream {name!r}; declare it in sim.core.streams.STREAMS")
        return np.random.SeedSequence(self.master_seed, spawn_key=(self.rep, stream_key(name)))

    def generator(self, name: str) -> np.random.Generator:
        """The generator of stream ``name`` (the same object on every call)."""
        gen = self._generators.get(name)
        if gen is None:
            gen = np.random.Generator(np.random.PCG64(self.seed_sequence(name)))
            self._generators[name] = gen
        return gen

    def parameter_uniform(self, path: str) -> float:
        """The uniform number in (0, 1) that drives parameter ``path`` in this replication.

        It comes from the seed sequence ``SeedSequence(master, spawn_key=(rep,
        key("parameters"), key(path)))``: 53 bits of its first two state words,
        offset by half a step so that 0 and 1 never occur.
        """
        return float(self.parameter_uniforms([path])[0])

    def parameter_uniforms(self, paths: list[str]) -> np.ndarray:
        """``parameter_uniform`` of many paths at once.

        Building one ``SeedSequence`` per parameter costs tens of microseconds, a
        few milliseconds a replication; the same hashing is done here, compiled,
        for all paths in one call (a test checks it against numpy's ``SeedSequence``).
        """
        prefix = np.array(
            [*_uint32_words(self.master_seed, pad_to=_POOL_SIZE), *_uint32_words(self.rep), _PARAMETERS_KEY],
            dtype=np.uint64,
        )
        keys = np.array([_path_key(p) for p in paths], dtype=np.uint64)
        out = np.empty(len(paths))
        _seed_sequence_uniforms(prefix, keys, out)
        return out


# --- numpy's SeedSequence hashing, compiled (numpy/random/bit_generator.pyx) -----------------

_POOL_SIZE = 4
_U = np.uint64  # compiled code computes in unsigned 64 bits, masked to 32
_M32 = _U(0xFFFFFFFF)
_INIT_A, _MULT_A = _U(0x43B0D7E5), _U(0x931E8875)
_INIT_B, _MULT_B = _U(0x8B51F9DD), _U(0x58F38DED)
_MIX_MULT_L, _MIX_MULT_R = _U(0xCA01F9DD), _U(0x4973F715)
_XSHIFT = _U(16)
_ZERO, _SHIFT_HI, _SHIFT_LO = _U(0), _U(21), _U(11)
_PARAMETERS_KEY = stream_key("parameters")


@lru_cache(maxsize=4096)
def _path_key(path: str) -> int:
    return stream_key(path)


def _uint32_words(n: int, pad_to: int = 0) -> list[int]:
    """An integer as numpy's SeedSequence reads it: 32-bit words, least significant first."""
    if n < 0:
        raise ValueError(f"seeds must be non-negative, got {n}")
    words = [0] if n == 0 else []
    while n > 0:
        words.append(n & 0xFFFFFFFF)
        n >>= 32
    return words + [0] * max(0, pad_to - len(words))


@kernel
def _seed_sequence_uniforms(prefix, keys, out):  # pragma: no cover - compiled
    """For each key: the pool of SeedSequence(entropy = prefix + [key]), its first two words as a uniform."""
    n_prefix = prefix.size
    entropy = np.empty(n_prefix + 1, dtype=np.uint64)
    for i in range(n_prefix):  # a loop, not a slice assignment: that compiles numba's shape check (~1.5 s)
        entropy[i] = prefix[i]
    pool = np.empty(_POOL_SIZE, dtype=np.uint64)
    for k in range(keys.size):
        entropy[n_prefix] = keys[k]
        hash_const = _INIT_A
        for i in range(_POOL_SIZE):
            value, hash_const = _hashmix(entropy[i] if i < entropy.size else _ZERO, hash_const)
            pool[i] = value
        for i_src in range(_POOL_SIZE):
            for i_dst in range(_POOL_SIZE):
                if i_src != i_dst:
                    value, hash_const = _hashmix(pool[i_src], hash_const)
                    pool[i_dst] = _mix(pool[i_dst], value)
        for i_src in range(_POOL_SIZE, entropy.size):
            for i_dst in range(_POOL_SIZE):
                value, hash_const = _hashmix(entropy[i_src], hash_const)
                pool[i_dst] = _mix(pool[i_dst], value)
        # generate_state(2): the first two pool words, hashed
        state_const = _INIT_B
        words = np.empty(2, dtype=np.uint64)
        for i in range(2):
            value = (pool[i] ^ state_const) & _M32
            state_const = (state_const * _MULT_B) & _M32
            value = (value * state_const) & _M32
            words[i] = value ^ (value >> _XSHIFT)
        out[k] = (float((words[0] << _SHIFT_HI) | (words[1] >> _SHIFT_LO)) + 0.5) / 2.0**53


@inline
def _hashmix(value, hash_const):  # pragma: no cover - compiled
    value = (value ^ hash_const) & _M32
    hash_const = (hash_const * _MULT_A) & _M32
    value = (value * hash_const) & _M32
    return value ^ (value >> _XSHIFT), hash_const


@inline
def _mix(x, y):  # pragma: no cover - compiled
    result = (_MIX_MULT_L * x - _MIX_MULT_R * y) & _M32
    return result ^ (result >> _XSHIFT)


@on_warm_up("streams", compile_s=0.6)
def _warm_up() -> None:
    Streams(0, 0).parameter_uniforms(["licensing.arrivals_per_day"])
