"""Reaching a Dask cluster: is a scheduler there, before any results folder is made for it?

``--dask ADDRESS`` sends replications to a Dask scheduler. A wrong address must cost seconds
and leave nothing behind: Dask's own client retries for 30 s and the command had already made
its results folder, so a typo left an empty folder and a traceback half a minute later. The
command line checks the address as it parses ``--dask`` (:func:`check_scheduler`), before the
command makes any folder; the run itself connects with the same short timeout
(:func:`sim.experiments.run.executor`).
"""

from __future__ import annotations

import asyncio
import socket

from sim.results.safe_io import ResultsError

#: How long a connection to a Dask scheduler may take, in seconds (both the check and the run).
#: assumption: a scheduler that is up answers within a second on a local network; five allows
#: a slow link, while a wrong address fails in seconds instead of Dask's default 30 s.
DASK_CONNECT_TIMEOUT_S = 5.0


def check_scheduler(address: str, timeout_s: float | None = None) -> None:
    """:class:`ResultsError` in one line unless a Dask scheduler answers at ``address``.

    ``local`` (a cluster started here) needs no check. A TCP address is first tried with a
    plain socket, so a refused port or an unknown host fails at once; then it is asked who it
    is, as a Dask client would, within the timeout, so a port where something else listens (or
    nothing answers) is refused too.
    """
    if address == "local":
        return
    timeout_s = DASK_CONNECT_TIMEOUT_S if timeout_s is None else timeout_s
    scheme, _, rest = address.rpartition("://")
    if scheme in ("", "tcp"):
        host, _, port = rest.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ResultsError(
                f"--dask {address}: not a scheduler address (allowed: tcp://HOST:PORT, such as "
                "tcp://10.0.0.5:8786, or `local` to start a cluster here)"
            )
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
                pass
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise ResultsError(f"--dask {address}: no Dask scheduler answers there ({reason})") from None
    try:
        identity = asyncio.run(asyncio.wait_for(_identity(address, timeout_s), timeout_s))
    except ImportError:  # pragma: no cover - a declared dependency
        raise ResultsError("--dask needs the distributed package: pip install 'dask[distributed]'") from None
    except TimeoutError:
        raise ResultsError(
            f"--dask {address}: no Dask scheduler answers there within {timeout_s:g} s"
        ) from None
    except Exception as exc:  # refused, reset, a TLS address without its certificates, ...
        first = (str(exc).splitlines() or [""])[0][:200] or type(exc).__name__
        raise ResultsError(f"--dask {address}: no Dask scheduler answers there ({first})") from None
    if not isinstance(identity, dict) or identity.get("type") != "Scheduler":
        raise ResultsError(f"--dask {address}: something answers there, but not a Dask scheduler")


async def _identity(address: str, timeout_s: float) -> object:
    """Ask whatever listens at ``address`` who it is, as Dask's own clients do (``identity``)."""
    from distributed.comm import connect

    comm = await connect(address, timeout=timeout_s)
    try:
        await comm.write({"op": "identity", "reply": True})
        return await comm.read()
    finally:
        await comm.close()
