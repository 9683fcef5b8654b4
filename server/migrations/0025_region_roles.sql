-- Version 25 (file 0025): the Region's roles (issue 16). An agent of the
-- Region is in the administration (*admin*: every desk, and the Region's
-- staff), the instruction (*instruction*: partners, bons plans,
-- établissements, cards, print queue, fraud desk) or the finances
-- (*finance*: reimbursements, payments, journal, bank details). Accounts
-- that existed had every right: administrators. Agents are invited like a
-- partner's staff (issue 13): an `email_tokens` row of purpose
-- 'invitation', `accounts.removed_at`.
ALTER TABLE accounts ADD COLUMN region_role TEXT
    CHECK (region_role IS NULL
           OR (role = 'region' AND region_role IN ('admin', 'instruction', 'finance')));
UPDATE accounts SET region_role = 'admin' WHERE role = 'region';
