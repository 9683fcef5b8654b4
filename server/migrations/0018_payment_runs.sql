-- Money out (issue 15, ADR 0030): payment runs (SEPA credit transfer files,
-- pain.001.001.09), their confirmation by the bank's statements (camt.054 /
-- camt.053), payments marked by hand, and the append-only audit of all of it.
--
-- A batch in a run is `en_cours_de_paiement`; the bank's booking makes it
-- `rembourse` (with the bank's reference and date); a rejected transfer puts
-- it back `en_cours` with the reason shown to the partner.

-- Bank details changed by the partner and not yet approved by the Region: no
-- payment run takes the partner's batches meanwhile (the bank-details change
-- of the partners domain sets and clears it).
ALTER TABLE partners ADD COLUMN bank_details_pending_since TEXT;

-- The batches, rebuilt for their new status and payment columns (as in
-- 0009: the child first, so that no foreign key points at a dropped table).
CREATE TABLE reimbursement_batches_v18 (
    id                TEXT PRIMARY KEY,
    partner_id        TEXT NOT NULL REFERENCES partners(id),
    period_end        TEXT NOT NULL,
    total_cents       INTEGER NOT NULL,
    carried_in_cents  INTEGER NOT NULL CHECK (carried_in_cents <= 0),
    carried_from      TEXT REFERENCES reimbursement_batches_v18(id),
    payable_cents     INTEGER NOT NULL CHECK (payable_cents >= 0),
    carried_out_cents INTEGER NOT NULL CHECK (carried_out_cents <= 0),
    status            TEXT NOT NULL
                      CHECK (status IN ('en_cours', 'en_cours_de_paiement', 'rembourse', 'compense')),
    created_at        TEXT NOT NULL,
    paid_at           TEXT,
    -- The bank's booking date (YYYY-MM-DD) and reference of the payment.
    paid_on           TEXT,
    bank_reference    TEXT,
    -- Why the last transfer was rejected, while the batch waits in the queue.
    rejection_reason  TEXT,
    CHECK (total_cents + carried_in_cents = payable_cents + carried_out_cents),
    CHECK (payable_cents = 0 OR carried_out_cents = 0),
    CHECK ((status = 'compense') = (payable_cents = 0)),
    CHECK ((status = 'rembourse') = (paid_at IS NOT NULL))
);
INSERT INTO reimbursement_batches_v18 (id, partner_id, period_end, total_cents, carried_in_cents,
    carried_from, payable_cents, carried_out_cents, status, created_at, paid_at)
SELECT id, partner_id, period_end, total_cents, carried_in_cents, carried_from, payable_cents,
    carried_out_cents, status, created_at, CASE WHEN status = 'rembourse' THEN paid_at END
FROM reimbursement_batches;
CREATE TABLE reimbursement_items_v18 (
    transaction_id TEXT PRIMARY KEY REFERENCES transactions(id),
    batch_id       TEXT NOT NULL REFERENCES reimbursement_batches_v18(id)
);
INSERT INTO reimbursement_items_v18 (transaction_id, batch_id)
SELECT transaction_id, batch_id FROM reimbursement_items;
DROP TABLE reimbursement_items;
DROP TABLE reimbursement_batches;
ALTER TABLE reimbursement_batches_v18 RENAME TO reimbursement_batches;
ALTER TABLE reimbursement_items_v18 RENAME TO reimbursement_items;
CREATE INDEX batches_partner ON reimbursement_batches(partner_id, created_at);
CREATE INDEX batches_status ON reimbursement_batches(status);
CREATE INDEX items_batch ON reimbursement_items(batch_id);

-- A payment run: the SEPA file as produced (downloaded byte for byte), with
-- the debtor account it was made with.
CREATE TABLE payment_runs (
    id             TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 35),
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL REFERENCES accounts(id),
    execution_date TEXT NOT NULL,
    debtor_name    TEXT NOT NULL,
    debtor_iban    TEXT NOT NULL,
    debtor_bic     TEXT NOT NULL,
    transactions   INTEGER NOT NULL CHECK (transactions > 0),
    total_cents    INTEGER NOT NULL CHECK (total_cents > 0),
    xml            TEXT NOT NULL
);

-- One transfer per batch. The creditor's details are those put in the file.
CREATE TABLE payment_transfers (
    run_id         TEXT NOT NULL REFERENCES payment_runs(id),
    batch_id       TEXT NOT NULL REFERENCES reimbursement_batches(id),
    end_to_end_id  TEXT NOT NULL CHECK (length(end_to_end_id) BETWEEN 1 AND 35),
    amount_cents   INTEGER NOT NULL CHECK (amount_cents > 0),
    creditor_name  TEXT NOT NULL,
    creditor_iban  TEXT NOT NULL,
    creditor_bic   TEXT,
    status         TEXT NOT NULL CHECK (status IN ('envoye', 'paye', 'rejete')),
    bank_reference TEXT,
    booked_on      TEXT,
    reason         TEXT,
    settled_at     TEXT,
    PRIMARY KEY (run_id, batch_id),
    CHECK ((status = 'envoye') = (settled_at IS NULL))
);
-- A batch is in at most one run that is not rejected: never in two runs,
-- never paid twice.
CREATE UNIQUE INDEX transfers_one_live ON payment_transfers(batch_id) WHERE status <> 'rejete';
CREATE INDEX transfers_e2e ON payment_transfers(end_to_end_id);

-- Every step of a batch's payment, append-only: who, when, which reference,
-- how much. `paye` and `paye_manuellement` move money out of the bank; a
-- `rejete` after a `paye` (a transfer returned after its booking) moves it
-- back: the accounting journal's bank lines are these events.
CREATE TABLE payment_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id     TEXT NOT NULL REFERENCES reimbursement_batches(id),
    event        TEXT NOT NULL
                 CHECK (event IN ('mis_en_paiement', 'paye', 'rejete', 'paye_manuellement')),
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
    -- Whether this event returned money paid out (a rejection after a booking).
    reverses_payment INTEGER NOT NULL DEFAULT 0 CHECK (reverses_payment IN (0, 1)),
    run_id       TEXT REFERENCES payment_runs(id),
    reference    TEXT,
    booked_on    TEXT,
    reason       TEXT,
    -- Who: a Region account (NULL only for the payments recorded before this
    -- migration, taken over below).
    account_id   TEXT REFERENCES accounts(id),
    created_at   TEXT NOT NULL
);
INSERT INTO payment_events (batch_id, event, amount_cents, booked_on, created_at)
SELECT id, 'paye_manuellement', payable_cents, substr(paid_at, 1, 10), paid_at
FROM reimbursement_batches WHERE status = 'rembourse' ORDER BY created_at, id;
UPDATE reimbursement_batches SET paid_on = substr(paid_at, 1, 10) WHERE status = 'rembourse';
CREATE INDEX payment_events_batch ON payment_events(batch_id, id);
CREATE TRIGGER payment_events_no_update BEFORE UPDATE ON payment_events
BEGIN SELECT RAISE(ABORT, 'payment_events is append-only'); END;
CREATE TRIGGER payment_events_no_delete BEFORE DELETE ON payment_events
BEGIN SELECT RAISE(ABORT, 'payment_events is append-only'); END;
