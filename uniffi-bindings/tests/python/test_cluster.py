"""Two server instances on one PostgreSQL database behind a balancer
(`passregion-cluster`, issue 17): the partner app's online debits are spread
over both, one instance dies in the middle of the burst, and each debit is
applied once (the balancer passes a debit whose instance died on to the
other one, with its idempotency key). Runs when PASSREGION_SERVER is the
cluster launcher (the test command's PostgreSQL pass), else skipped."""

import threading
import urllib.request

import pytest

import passregion_uniffi as pr
from conftest import PARTNER, PASSWORD, SERVER, YOUTH, SoftwareSigner

from test_journey import AVANTAGE, cents, remaining

pytestmark = pytest.mark.skipif(
    SERVER.name != "passregion-cluster",
    reason="needs the cluster launcher (PASSREGION_SERVER=…/passregion-cluster)",
)


def instances(url):
    with urllib.request.urlopen(f"{url}/__cluster", timeout=10) as r:
        import json
        return json.loads(r.read())


def kill_instance(url, n):
    req = urllib.request.Request(f"{url}/__cluster/kill?instance={n}", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 204


def test_debits_spread_over_two_instances_one_killed_apply_once(tmp_path, server):
    assert [i["alive"] for i in instances(server.url)] == [True, True]
    youth = pr.YouthClient(server.url, str(tmp_path / "youth"), SoftwareSigner(), None)
    youth.login(YOUTH, PASSWORD)
    youth.sync()
    before = cents(remaining(youth))
    partner = pr.PartnerClient(server.url, str(tmp_path / "partner"))
    partner.login(PARTNER, PASSWORD)
    partner.enrol("Caisse 1")

    done = []
    for i in range(8):
        if i == 3:
            # Instance 1 dies while the next debits are on their way.
            killer = threading.Thread(target=kill_instance, args=(server.url, 1))
            killer.start()
        r = partner.debit(youth.current_qr(), AVANTAGE, "1.00")
        assert r.status == pr.DebitStatus.CONFIRMED, r
        done.append(r.id)
    killer.join()
    assert [i["alive"] for i in instances(server.url)] == [True, False]
    assert len(set(done)) == 8, "one transaction per debit"
    youth.sync()
    assert cents(remaining(youth)) == before - 800, "each debit applied once"
    partner.sync()
    txs = {t.id for t in partner.transactions(50)}
    assert set(done) <= txs
