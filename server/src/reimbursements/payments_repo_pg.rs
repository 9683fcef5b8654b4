//! Money out on PostgreSQL (ADR 0036): the SQL of `reimbursements::payments_repo` in PostgreSQL's dialect; the rules stay in `reimbursements::payments` (runs, bank statements, manual payments), `statement::assemble` and `journal::render`. Every write locks the rows of the batches it may change, in id order, before reading them (after the idempotency key), so a batch changes state one transaction at a time across instances: a batch goes in one run, a transfer is settled once however many imports of one camt.054 run together, a manual payment and a booking never both pay it. A run reads each payee's row `FOR SHARE`: a bank-details change waits for the run, or the run sees it pending.

use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;
use passregion_core::SignedMoney;
use passregion_core::status::TransferStatus;
use r2d2_postgres::postgres::Row;
use r2d2_postgres::postgres::Transaction;

use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::error::ServiceError;
use crate::platform::db::Outcome;
use crate::platform::idempotency::Idempotency;
use crate::platform::idempotency::StoredResponse;
use crate::platform::idempotency::idempotent_on;
use crate::platform::idempotency::json_response;
use crate::platform::pg_tx::PgTx;
use crate::platform::sql::enum_from;
use crate::platform::sql::parse_date;
use crate::platform::sql::parse_ts;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;
use crate::reimbursements::journal_pg::journal_csv;
use crate::reimbursements::model::Batch;
use crate::reimbursements::model::ManualPayment;
use crate::reimbursements::model::PaymentEvent;
use crate::reimbursements::model::PaymentRun;
use crate::reimbursements::model::PaymentRunRequest;
use crate::reimbursements::model::PaymentTransfer;
use crate::reimbursements::model::QueuedBatch;
use crate::reimbursements::model::Statement;
use crate::reimbursements::pain001::Transfer;
use crate::reimbursements::payments;
use crate::reimbursements::payments::Event;
use crate::reimbursements::payments::NewRun;
use crate::reimbursements::payments::Payee;
use crate::reimbursements::payments::PaymentsTx;
use crate::reimbursements::payments::StoredTransfer;
use crate::reimbursements::payments_repo::PaymentsRepo;
use crate::reimbursements::payments_repo::payee_of;
use crate::reimbursements::repo_pg::batches_where;
use crate::reimbursements::statement;
use crate::reimbursements::statement_pg::period_start;
use crate::reimbursements::statement_pg::statement_rows;

/// The partner's payee (see `payments_repo::payee`); `share` locks its row
/// `FOR SHARE` (a write: its bank details cannot change under the run).
fn payee(
    tx: &mut Transaction<'_>,
    partner_id: &str,
    share: bool,
) -> Result<Result<Payee, String>, ServiceError> {
    let lock = if share { " FOR SHARE" } else { "" };
    let row = tx.query_opt(
        &format!(
            "SELECT name, iban, bic, bank_details_pending_since FROM partners WHERE id = $1{lock}"
        ),
        &[&partner_id],
    )?;
    let Some(r) = row else {
        return Err(ServiceError::NotFound("Partenaire"));
    };
    Ok(payee_of(
        r.try_get(0)?,
        r.try_get(1)?,
        r.try_get(2)?,
        r.try_get(3)?,
    ))
}

/// Locks the rows of the batches `ids`, in id order (no deadlock between
/// two writes locking overlapping sets).
fn lock_batches(tx: &mut Transaction<'_>, ids: &[String]) -> Result<(), ServiceError> {
    tx.query(
        "SELECT id FROM reimbursement_batches WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        &[&ids],
    )?;
    Ok(())
}

/// Locks, in id order, the batches of the transfers with these end-to-end ids.
fn lock_batches_of(tx: &mut Transaction<'_>, e2e: &[String]) -> Result<(), ServiceError> {
    tx.query(
        "SELECT id FROM reimbursement_batches WHERE id IN
           (SELECT batch_id FROM payment_transfers WHERE end_to_end_id = ANY($1))
         ORDER BY id FOR UPDATE",
        &[&e2e],
    )?;
    Ok(())
}

const TRANSFER_SELECT: &str = "SELECT t.batch_id, t.end_to_end_id, b.partner_id, p.name,
    t.creditor_iban, t.amount_cents, t.status, t.bank_reference, t.booked_on, t.reason
    FROM payment_transfers t JOIN reimbursement_batches b ON b.id = t.batch_id
    JOIN partners p ON p.id = b.partner_id";

fn transfer_from(r: &Row) -> Result<PaymentTransfer, ServiceError> {
    let iban: String = r.try_get(4)?;
    let booked: Option<String> = r.try_get(8)?;
    Ok(PaymentTransfer {
        batch_id: r.try_get(0)?,
        end_to_end_id: r.try_get(1)?,
        partner_id: r.try_get(2)?,
        partner_name: r.try_get(3)?,
        iban: passregion_core::application::masked_iban(&iban),
        amount: SignedMoney::from_cents(r.try_get(5)?)?,
        status: enum_from(&r.try_get::<_, String>(6)?)?,
        bank_reference: r.try_get(7)?,
        booked_on: booked.as_deref().map(parse_date).transpose()?,
        reason: r.try_get(9)?,
    })
}

fn run_by_id(tx: &mut Transaction<'_>, id: &str) -> Result<Option<PaymentRun>, ServiceError> {
    let Some(head) = tx.query_opt(
        "SELECT r.created_at, a.display_name, r.execution_date, r.transactions, r.total_cents
         FROM payment_runs r JOIN accounts a ON a.id = r.created_by WHERE r.id = $1",
        &[&id],
    )?
    else {
        return Ok(None);
    };
    let transfers = tx
        .query(
            &format!("{TRANSFER_SELECT} WHERE t.run_id = $1 ORDER BY p.name, t.batch_id"),
            &[&id],
        )?
        .iter()
        .map(transfer_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(PaymentRun {
        id: id.to_owned(),
        created_at: parse_ts(&head.try_get::<_, String>(0)?)?,
        created_by: head.try_get(1)?,
        execution_date: parse_date(&head.try_get::<_, String>(2)?)?,
        transactions: head.try_get(3)?,
        total: SignedMoney::from_cents(head.try_get(4)?)?,
        transfers,
        blocked: Vec::new(),
    }))
}

impl PaymentsTx for PgTx<'_, '_> {
    fn payee(&self, partner_id: &str) -> Result<Result<Payee, String>, ServiceError> {
        self.with(|tx| payee(tx, partner_id, true))
    }

    fn period_start(&self, batch: &Batch) -> Result<Option<DateTime<Utc>>, ServiceError> {
        self.with(|tx| period_start(tx, batch))
    }

    fn insert_run(&self, run: &NewRun<'_>) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "INSERT INTO payment_runs (id, created_at, created_by, execution_date,
                   debtor_name, debtor_iban, debtor_bic, transactions, total_cents, xml)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                &[
                    &run.id,
                    &ts(run.created_at),
                    &run.created_by,
                    &run.execution_date.to_string(),
                    &run.debtor.name,
                    &run.debtor.iban,
                    &run.debtor.bic,
                    &run.transactions,
                    &run.total_cents,
                    &run.xml,
                ],
            )?;
            Ok(())
        })
    }

    fn insert_transfer(
        &self,
        run_id: &str,
        batch_id: &str,
        t: &Transfer,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "INSERT INTO payment_transfers (run_id, batch_id, end_to_end_id, amount_cents,
                   creditor_name, creditor_iban, creditor_bic, status)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'envoye')",
                &[
                    &run_id,
                    &batch_id,
                    &t.end_to_end_id,
                    &t.amount_cents,
                    &t.creditor_name,
                    &t.creditor_iban,
                    &t.creditor_bic,
                ],
            )?;
            Ok(())
        })
    }

    fn mark_in_payment(&self, batch_id: &str) -> Result<(), ServiceError> {
        let n = self.with(|tx| {
            Ok(tx.execute(
                "UPDATE reimbursement_batches SET status = 'en_cours_de_paiement',
                   rejection_reason = NULL WHERE id = $1 AND status = 'en_cours'",
                &[&batch_id],
            )?)
        })?;
        if n != 1 {
            return Err(ServiceError::Internal("batch left the queue".into()));
        }
        Ok(())
    }

    /// Locks the batches of these transfers first, then reads the transfers
    /// as the last transaction to settle them left them.
    fn transfers_by_e2e(
        &self,
        e2e: &str,
        run_id: Option<&str>,
    ) -> Result<Vec<StoredTransfer>, ServiceError> {
        self.with(|tx| {
            lock_batches_of(tx, &[e2e.to_owned()])?;
            tx.query(
                "SELECT t.run_id, t.batch_id, p.name, t.amount_cents, t.status
                 FROM payment_transfers t JOIN reimbursement_batches b ON b.id = t.batch_id
                 JOIN partners p ON p.id = b.partner_id JOIN payment_runs r ON r.id = t.run_id
                 WHERE t.end_to_end_id = $1 AND ($2::TEXT IS NULL OR t.run_id = $2)
                 ORDER BY t.status = 'rejete', r.created_at DESC, t.run_id DESC",
                &[&e2e, &run_id],
            )?
            .iter()
            .map(|r| {
                let status: String = r.try_get(4)?;
                Ok(StoredTransfer {
                    run_id: r.try_get(0)?,
                    batch_id: r.try_get(1)?,
                    partner_name: r.try_get(2)?,
                    amount_cents: r.try_get(3)?,
                    status: TransferStatus::parse(&status)
                        .ok_or_else(|| ServiceError::Internal("bad transfer status".into()))?,
                })
            })
            .collect()
        })
    }

    fn settle_transfer(
        &self,
        t: &StoredTransfer,
        status: TransferStatus,
        reference: Option<&str>,
        booked_on: Option<NaiveDate>,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "UPDATE payment_transfers SET status = $3,
                   bank_reference = COALESCE($4, bank_reference), booked_on = $5, reason = $6,
                   settled_at = $7
                 WHERE run_id = $1 AND batch_id = $2",
                &[
                    &t.run_id,
                    &t.batch_id,
                    &status.as_str(),
                    &reference,
                    &booked_on.map(|d| d.to_string()),
                    &reason,
                    &ts(now),
                ],
            )?;
            Ok(())
        })
    }

    fn mark_paid(
        &self,
        batch_id: &str,
        paid_on: NaiveDate,
        reference: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "UPDATE reimbursement_batches SET status = 'rembourse', paid_at = $2,
                   paid_on = $3, bank_reference = $4, rejection_reason = NULL WHERE id = $1",
                &[&batch_id, &ts(now), &paid_on.to_string(), &reference],
            )?;
            Ok(())
        })
    }

    fn requeue(&self, batch_id: &str, reason: &str) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "UPDATE reimbursement_batches SET status = 'en_cours', paid_at = NULL,
                   paid_on = NULL, bank_reference = NULL, rejection_reason = $2 WHERE id = $1",
                &[&batch_id, &reason],
            )?;
            Ok(())
        })
    }

    fn log(&self, e: &Event<'_>) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "INSERT INTO payment_events (batch_id, event, amount_cents, reverses_payment,
                   run_id, reference, booked_on, reason, account_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                &[
                    &e.batch_id,
                    &e.event,
                    &e.amount_cents,
                    &e.reverses_payment,
                    &e.run_id,
                    &e.reference,
                    &e.booked_on.map(|d| d.to_string()),
                    &e.reason,
                    &e.account_id,
                    &ts(e.at),
                ],
            )?;
            Ok(())
        })
    }

    fn run(&self, id: &str) -> Result<Option<PaymentRun>, ServiceError> {
        self.with(|tx| run_by_id(tx, id))
    }
}

impl PaymentsRepo for PgStore {
    fn statement(&self, who: &Principal, batch_id: &str) -> Result<Statement, ServiceError> {
        let own = match who.role {
            Role::Region => None,
            _ => Some(crate::reimbursements::service::own_partner(who)?),
        };
        self.pool.read(|tx| {
            let batch = batches_where(tx, "b.id = $1", &[&batch_id])?
                .into_iter()
                .next()
                .filter(|b| own.as_ref().is_none_or(|p| *p == b.partner_id))
                .ok_or(ServiceError::NotFound("Lot de remboursement"))?;
            let rows = statement_rows(tx, &batch)?;
            statement::assemble(&self.catalogues, batch, rows)
        })
    }

    fn payment_queue(&self) -> Result<Vec<QueuedBatch>, ServiceError> {
        self.pool.read(|tx| {
            let batches = batches_where(tx, "b.status = 'en_cours'", &[])?;
            let mut out = Vec::with_capacity(batches.len());
            for batch in batches {
                let blocked = payee(tx, &batch.partner_id, false)?.err();
                out.push(QueuedBatch { batch, blocked });
            }
            Ok(out)
        })
    }

    /// Locks: the key, then the chosen batches (id order), then each
    /// payee's row (shared).
    fn create_payment_run(
        &self,
        who: &Principal,
        req: PaymentRunRequest,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError> {
        let debtor = self.policy.debtor.clone();
        let account = who.account_id.clone();
        self.pool.write_outcome(|tx| {
            idempotent_on(&PgTx::new(tx), &idem, now, |tx| {
                tx.with(|t| lock_batches(t, &req.batch_ids))?;
                let run = payments::create_run(tx, &account, debtor.as_ref(), &req, now)?;
                Ok(Outcome::from(json_response(201, &run)))
            })
        })
    }

    fn payment_runs(&self) -> Result<Vec<PaymentRun>, ServiceError> {
        self.pool.read(|tx| {
            let ids: Vec<String> = tx
                .query(
                    "SELECT id FROM payment_runs ORDER BY created_at DESC, id DESC LIMIT 200",
                    &[],
                )?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<_, _>>()?;
            let mut out = Vec::new();
            for id in ids {
                out.extend(run_by_id(tx, &id)?);
            }
            Ok(out)
        })
    }

    fn payment_run(&self, id: &str) -> Result<PaymentRun, ServiceError> {
        self.pool
            .read(|tx| run_by_id(tx, id))?
            .ok_or(ServiceError::NotFound("Ordre de virement"))
    }

    fn payment_run_xml(&self, id: &str) -> Result<String, ServiceError> {
        self.pool
            .read(|tx| {
                tx.query_opt("SELECT xml FROM payment_runs WHERE id = $1", &[&id])?
                    .map(|r| r.try_get(0))
                    .transpose()
                    .map_err(ServiceError::from)
            })?
            .ok_or(ServiceError::NotFound("Ordre de virement"))
    }

    /// Locks: the key, then every batch the statement's transfers name (id
    /// order): a second import of the same file, on any instance, waits and
    /// then finds the transfers settled.
    fn import_bank_statement(
        &self,
        who: &Principal,
        xml: Vec<u8>,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError> {
        // Parsed outside the transaction: a refused file costs no connection.
        let statement = crate::reimbursements::camt::parse(&xml)
            .map_err(crate::reimbursements::error::ReimbursementsError::from)?;
        let e2e: Vec<String> = statement
            .transfers
            .iter()
            .map(|t| t.end_to_end_id.clone())
            .collect();
        let account = who.account_id.clone();
        self.pool.write_outcome(|tx| {
            idempotent_on(&PgTx::new(tx), &idem, now, |tx| {
                tx.with(|t| lock_batches_of(t, &e2e))?;
                let result = payments::import_statement(tx, &account, &statement, now)?;
                Ok(Outcome::from(json_response(200, &result)))
            })
        })
    }

    fn pay_manually(
        &self,
        who: &Principal,
        batch_id: &str,
        req: ManualPayment,
        now: DateTime<Utc>,
    ) -> Result<Batch, ServiceError> {
        self.pool.write(|tx| {
            payments::pay_manually(&PgTx::new(tx), &who.account_id, batch_id, &req, now)
        })
    }

    fn payment_events(&self, batch_id: &str) -> Result<Vec<PaymentEvent>, ServiceError> {
        self.pool.read(|tx| {
            tx.query(
                "SELECT e.batch_id, e.event, e.run_id, e.reference, e.booked_on, e.reason,
                   COALESCE(a.display_name, 'reprise des données'), e.created_at
                 FROM payment_events e LEFT JOIN accounts a ON a.id = e.account_id
                 WHERE e.batch_id = $1 ORDER BY e.id",
                &[&batch_id],
            )?
            .iter()
            .map(|r| {
                let booked: Option<String> = r.try_get(4)?;
                Ok(PaymentEvent {
                    batch_id: r.try_get(0)?,
                    event: r.try_get(1)?,
                    run_id: r.try_get(2)?,
                    reference: r.try_get(3)?,
                    booked_on: booked.as_deref().map(parse_date).transpose()?,
                    reason: r.try_get(5)?,
                    by: r.try_get(6)?,
                    at: parse_ts(&r.try_get::<_, String>(7)?)?,
                })
            })
            .collect()
        })
    }

    fn accounting_journal(&self, from: NaiveDate, to: NaiveDate) -> Result<String, ServiceError> {
        self.pool
            .read(|tx| journal_csv(tx, &self.catalogues, from, to))
    }
}
