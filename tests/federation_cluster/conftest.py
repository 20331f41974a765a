"""One local federation for the module (the centre's 3-node JetStream cluster and two
province leaf nodes, on free loopback ports, in a folder of its own), simulated provinces
with real keys, and fresh streams for each test. Only the servers started here are stopped."""

from __future__ import annotations

import asyncio
import time

import pytest

from jiliang.federation import transport
from jiliang.federation.localnet import LocalFederation, nats_server_binary

PROVINCE_CODES = ("33", "44")


@pytest.fixture(scope="module")
def federation():
    pytest.importorskip("nats", reason="nats-py not installed")
    if nats_server_binary() is None:
        pytest.skip("nats-server binary not found (apt-get install nats-server)")
    fed = LocalFederation.create(list(PROVINCE_CODES))
    try:
        fed.start(timeout=30)
        yield fed
    finally:
        fed.remove()


@pytest.fixture(scope="module")
def provinces(django_db_setup, django_db_blocker):
    from jiliang.federation.simulate import make_provinces

    return make_provinces([*PROVINCE_CODES, "national"])


@pytest.fixture
def enrolled(db, provinces):
    from jiliang.federation.simulate import enrol

    enrol(provinces.values())
    return provinces


def run(coro_fn, urls):
    """``coro_fn(js)`` on a fresh connection; a JetStream API that does not answer while the
    cluster elects a leader (a node was just killed) is asked again, for up to 30 s."""

    async def go():
        nc = await transport._connect(urls)
        try:
            js = transport.jetstream(nc)
            return (await transport._retrying(lambda: _answer(coro_fn, js), what="the JetStream API"))[0]
        finally:
            await nc.close()

    return asyncio.run(go())


async def _answer(coro_fn, js):
    return (await coro_fn(js),)


@pytest.fixture
def streams(federation):
    """Both streams made afresh (replicated on the three nodes), so each test counts from 0."""
    from nats.js.errors import NotFoundError

    async def reset(js):
        for name in (transport.CHANGES_STREAM, transport.NATIONAL_STREAM):
            try:
                await js.delete_stream(name)
            except NotFoundError:
                pass
        await transport.ensure_streams(js, replicas=3)

    deadline = time.monotonic() + 30
    while True:  # a node restarted by the previous test may still be catching up with the cluster
        try:
            run(reset, federation.centre_urls)
            return federation
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stream_state(federation, stream: str = transport.CHANGES_STREAM, subject: str | None = None):
    async def info(js):
        return (await js.stream_info(stream, subjects_filter=subject)).state

    return run(info, federation.centre_urls)


def stream_leader(federation, stream: str = transport.CHANGES_STREAM) -> str:
    async def info(js):
        return (await js.stream_info(stream)).cluster.leader

    return run(info, federation.centre_urls)
