"""The whole journey from Python, against the real server binary: a youth
shows a dynamic QR signed by the Python keystore; a partner enrols, verifies
it, debits online, goes offline (server killed), debits again, comes back
(server restarted on the same data directory) and syncs."""

import pytest

import passregion_uniffi as pr
from conftest import (
    PARTNER, PASSWORD, YOUTH, Recorder, Server, SoftwareSigner, UrllibTransport,
)

AVANTAGE = "lecture_loisir"


def remaining(client, avantage=AVANTAGE):
    for b in client.balances():
        if b.avantage == avantage:
            return pr.parse_money(b.remaining)
    raise AssertionError(f"no balance {avantage}")


def cents(amount):
    euros, _, dec = pr.parse_money(amount).partition(".")
    return int(euros) * 100 + int(dec)


@pytest.mark.parametrize("http", ["builtin", "python"])
def test_youth_and_partner_online_offline_and_back(tmp_path, server, http):
    # The built-in HTTP transport, or the platform's one (a Python callback).
    youth_http = UrllibTransport() if http == "python" else None
    partner_http = UrllibTransport() if http == "python" else None

    # --- Youth: log in, sync, show a dynamic QR signed by the Python signer.
    signer = SoftwareSigner()
    youth = pr.YouthClient(server.url, str(tmp_path / "youth"), signer, youth_http)
    assert signer.public_calls >= 1, "the public key is read from the foreign signer"
    youth_states = Recorder()
    youth_handle = youth.add_listener(youth_states)

    with pytest.raises(pr.PassRegionError.Unauthorized):
        youth.login(YOUTH, "wrong password")
    with pytest.raises(pr.PassRegionError.InvalidArgument):
        youth.login(PARTNER, PASSWORD)  # not a youth account
    youth.login(YOUTH, PASSWORD)
    youth.sync()
    assert youth_states.states[-2:] == [pr.SyncState.SYNCING(), pr.SyncState.IDLE()]
    assert youth.sync_state() == pr.SyncState.IDLE()

    home = youth.home()
    assert home.card is not None and home.card.status
    assert home.balances, "the demo youth has balances"
    before = cents(remaining(youth))
    cred = youth.credential()
    assert cred is not None

    qr1 = youth.current_qr()
    assert qr1.startswith("PD1:")
    assert signer.sign_calls == 1, "the dynamic QR is signed by the foreign signer"

    # --- Partner: log in, enrol, verify the youth's QR.
    partner = pr.PartnerClient(server.url, str(tmp_path / "partner"), transport=partner_http)
    partner_states = Recorder()
    partner.add_listener(partner_states)
    with pytest.raises(pr.PassRegionError.Missing):
        partner.debit_offline(qr1, AVANTAGE, "1.00")  # not enrolled yet: typed error
    partner.login(PARTNER, PASSWORD)
    device = partner.enrol("Caisse 1")
    assert device.category == pr.PartnerCategory.LIBRAIRIE
    assert pr.parse_money(device.per_transaction_max) == device.per_transaction_max

    scanned = partner.scan(qr1)
    assert scanned.is_app()
    assert scanned.credential_id == cred.credential_id
    with pytest.raises(pr.PassRegionError.InvalidCode) as e:
        partner.scan("not a pass code")
    assert e.value.reason == pr.CodeRejection.BAD_PREFIX

    # Money is a validated decimal string: a float-like text is refused
    # before anything is sent.
    with pytest.raises(pr.PassRegionError.InvalidAmount):
        partner.debit(qr1, AVANTAGE, "5.001")
    with pytest.raises(pr.PassRegionError.InvalidAmount):
        partner.debit(qr1, AVANTAGE, "5e0")

    # --- Online debit.
    online = partner.debit(qr1, AVANTAGE, "5.00")
    assert online.status == pr.DebitStatus.CONFIRMED
    assert online.debited == "5.00"
    assert online.reste_a_payer == "0.00"
    # The same code again: the server refuses it (typed error, machine code).
    with pytest.raises(pr.PassRegionError.Refused) as e:
        partner.debit(qr1, AVANTAGE, "5.00")
    assert e.value.status in (400, 409, 422) and e.value.code
    # And the partner's own verifier remembers it.
    with pytest.raises(pr.PassRegionError.InvalidCode) as e:
        partner.scan(qr1)
    assert e.value.reason == pr.CodeRejection.REPLAYED

    # --- Offline: the server goes away.
    server.kill()
    qr2 = youth.current_qr()  # works offline
    assert qr2.startswith("PD1:") and qr2 != qr1
    assert signer.sign_calls == 2
    offline = partner.debit(qr2, AVANTAGE, "3.00")
    assert offline.status == pr.DebitStatus.PENDING_SYNC
    assert offline.debited == "3.00"
    assert offline.status_label == "En attente de synchronisation"
    assert partner.pending_count() == 1
    with pytest.raises(pr.PassRegionError.Offline):
        partner.sync()
    assert partner.sync_state() == pr.SyncState.OFFLINE()
    assert partner_states.states[-2:] == [pr.SyncState.SYNCING(), pr.SyncState.OFFLINE()]
    with pytest.raises(pr.PassRegionError.Offline):
        youth.sync()
    assert youth.sync_state() == pr.SyncState.OFFLINE()
    assert cents(remaining(youth)) == before, "the cache is kept offline"
    with pytest.raises(pr.PassRegionError.InvalidCode) as e:
        partner.debit(qr2, AVANTAGE, "1.00")  # replayed offline too
    assert e.value.reason == pr.CodeRejection.REPLAYED
    assert partner.pending_count() == 1

    # --- Back online: the server restarts on the same data directory (new port).
    url = server.start()
    partner.set_server_url(url)
    youth.set_server_url(url)
    report = partner.sync()
    assert report.applied + report.duplicates == 1, report
    assert report.refused == 0 and report.pending == 0
    assert partner.pending_count() == 0
    assert partner_states.states[-2:] == [pr.SyncState.SYNCING(), pr.SyncState.IDLE()]
    [item] = partner.outbox()
    assert item.state == "synced" and item.id == offline.id and item.debited == "3.00"
    txs = {t.id for t in partner.transactions(50)}
    assert online.id in txs and item.transaction_id in txs

    youth.sync()
    assert cents(remaining(youth)) == before - 500 - 300

    # The listener handle removes the listener.
    seen = len(youth_states.states)
    youth_handle.cancel()
    youth_handle.cancel()
    youth.sync()
    assert len(youth_states.states) == seen
    if http == "python":
        assert youth_http.calls > 0 and partner_http.calls > 0


def test_signer_failure_is_a_typed_error(tmp_path):
    server = Server(tmp_path / "server")
    server.start()
    try:
        signer = SoftwareSigner(fail=True)
        youth = pr.YouthClient(server.url, str(tmp_path / "youth"), signer)
        youth.login(YOUTH, PASSWORD)
        youth.fetch_credential()
        with pytest.raises(pr.PassRegionError.Key):
            youth.current_qr()
        assert signer.sign_calls == 1
    finally:
        server.kill()


def test_orders_bons_plans_and_directory(tmp_path, server):
    youth = pr.YouthClient(server.url, str(tmp_path / "youth"), None)
    youth.login(YOUTH, PASSWORD)
    orders = youth.orders()
    assert orders and orders[0].status
    form = pr.OrderForm(
        first_name="Léa", last_name="Martin", birth_date="14/03/2010",
        public=pr.Public.LYCEEN, track=pr.Track.SECONDE, disabled=False,
        establishment_id="x", address="1 rue A", postal_code="69001", city="Lyon",
    )
    with pytest.raises(pr.PassRegionError.InvalidArgument):
        youth.order_pass(form)  # the date is checked at the boundary
    form.birth_date = "2010-03-14"
    with pytest.raises(pr.PassRegionError.Refused) as e:
        youth.order_pass(form)  # already ordered this season: the server says why
    assert e.value.code and e.value.user_message
    assert youth.refresh_bons_plans() > 0
    plans = youth.bons_plans(pr.PartnerCategory.LIBRAIRIE)
    assert plans and all(p.category == pr.PartnerCategory.LIBRAIRIE for p in plans)
    assert youth.pull().partners > 0
    hits = youth.search_partners(pr.PartnerQuery(category=pr.PartnerCategory.LIBRAIRIE, limit=3))
    assert 0 < len(hits) <= 3
    assert all(h.category == pr.PartnerCategory.LIBRAIRIE for h in hits)
