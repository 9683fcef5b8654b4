-- Clawback (issue 11, item 5): a batch's total is signed (debits − refunds of
-- its period); what the partner owes from earlier batches (refunds after a
-- payout) is carried in and deducted; a batch never pays below zero, and
-- what it cannot absorb is carried to the partner's next batch. A batch
-- with nothing to pay is `compense` (soldé par compensation).
--
--   total_cents + carried_in_cents = payable_cents + carried_out_cents
--
-- The table is rebuilt for its new status and checks. Its child
-- (reimbursement_items) is rebuilt first to point at the new table, so that
-- no foreign key ever points at a dropped table (migrations run with
-- foreign keys on); the rename then rewrites those references.
CREATE TABLE reimbursement_batches_v9 (
    id                TEXT PRIMARY KEY,
    partner_id        TEXT NOT NULL REFERENCES partners(id),
    period_end        TEXT NOT NULL,
    -- Debits − refunds of the batch's own transactions (signed).
    total_cents       INTEGER NOT NULL,
    -- Deficit carried in from earlier batches (≤ 0), and where from.
    carried_in_cents  INTEGER NOT NULL CHECK (carried_in_cents <= 0),
    carried_from      TEXT REFERENCES reimbursement_batches_v9(id),
    -- What the Region pays (≥ 0).
    payable_cents     INTEGER NOT NULL CHECK (payable_cents >= 0),
    -- Deficit carried to the partner's next batch (≤ 0).
    carried_out_cents INTEGER NOT NULL CHECK (carried_out_cents <= 0),
    status            TEXT NOT NULL CHECK (status IN ('en_cours', 'rembourse', 'compense')),
    created_at        TEXT NOT NULL,
    paid_at           TEXT,
    CHECK (total_cents + carried_in_cents = payable_cents + carried_out_cents),
    CHECK (payable_cents = 0 OR carried_out_cents = 0),
    CHECK ((status = 'compense') = (payable_cents = 0))
);
-- Earlier batches carried nothing in; a negative one was shown as 0,00 € and
-- never recovered: it now carries its deficit out, and the partner's next
-- batch deducts it.
INSERT INTO reimbursement_batches_v9 (id, partner_id, period_end, total_cents, carried_in_cents,
    carried_from, payable_cents, carried_out_cents, status, created_at, paid_at)
SELECT id, partner_id, period_end, total_cents, 0, NULL, MAX(total_cents, 0), MIN(total_cents, 0),
    CASE WHEN total_cents > 0 THEN status ELSE 'compense' END, created_at, paid_at
FROM reimbursement_batches;
CREATE TABLE reimbursement_items_v9 (
    transaction_id TEXT PRIMARY KEY REFERENCES transactions(id),
    batch_id       TEXT NOT NULL REFERENCES reimbursement_batches_v9(id)
);
INSERT INTO reimbursement_items_v9 (transaction_id, batch_id)
SELECT transaction_id, batch_id FROM reimbursement_items;
DROP TABLE reimbursement_items;
DROP TABLE reimbursement_batches;
ALTER TABLE reimbursement_batches_v9 RENAME TO reimbursement_batches;
ALTER TABLE reimbursement_items_v9 RENAME TO reimbursement_items;
CREATE INDEX batches_partner ON reimbursement_batches(partner_id, created_at);
CREATE INDEX items_batch ON reimbursement_items(batch_id);
