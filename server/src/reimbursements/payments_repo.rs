//! Storage of money out: payment runs, transfers, the payment audit, and the
//! repository the handlers call (statements, runs, bank statements, manual
//! payments, the accounting journal). The rules are in
//! `reimbursements::payments`; this file holds the SQL.

use chrono::{DateTime, NaiveDate, Utc};
use passregion_core::SignedMoney;
use passregion_core::status::TransferStatus;
use rusqlite::{Connection, OptionalExtension, params};

use crate::accounts::model::Principal;
use crate::error::ServiceError;
use crate::platform::db::{Cached, Outcome};
use crate::platform::idempotency::{Idempotency, StoredResponse, idempotent, json_response};
use crate::platform::sql::{parse_date, parse_ts, select_all, ts};
use crate::platform::store::SqliteStore;
use crate::reimbursements::model::{
    Batch, ManualPayment, PaymentEvent, PaymentRun, PaymentRunRequest, PaymentTransfer,
    QueuedBatch, Statement,
};
use crate::reimbursements::pain001::Transfer;
use crate::reimbursements::payments::{self, Event, NewRun, Payee, PaymentsTx, StoredTransfer};
use crate::reimbursements::repo::batches_where;

/// Why a partner's batches cannot go in a run while its bank-details change
/// waits for the Region's approval.
pub const PENDING_BANK_DETAILS: &str = "bloqué : coordonnées bancaires en attente";
/// Why they cannot go in a run without a valid IBAN.
pub const MISSING_BANK_DETAILS: &str = "bloqué : coordonnées bancaires manquantes ou invalides";

/// The account a partner is paid on, or why its batches cannot be paid now:
/// the one query a payment run asks of the partners' bank details (the
/// bank-details change of the partners domain sets and clears
/// `bank_details_pending_since`).
pub(crate) fn payee(
    c: &Connection,
    partner_id: &str,
) -> Result<Result<Payee, String>, ServiceError> {
    type Row = (String, Option<String>, Option<String>, Option<String>);
    let row: Option<Row> = c
        .query_row(
            "SELECT name, iban, bic, bank_details_pending_since FROM partners WHERE id = ?1",
            [partner_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((name, iban, bic, pending)) = row else {
        return Err(ServiceError::NotFound("Partenaire"));
    };
    Ok(payee_of(name, iban, bic, pending))
}

/// The rule of [`payee`] on a partner's stored bank details (both engines):
/// no payout while a change waits for approval, nor without a valid IBAN
/// (and BIC, when given).
pub(crate) fn payee_of(
    name: String,
    iban: Option<String>,
    bic: Option<String>,
    pending: Option<String>,
) -> Result<Payee, String> {
    if pending.is_some() {
        return Err(PENDING_BANK_DETAILS.into());
    }
    let Some(iban) = iban
        .as_deref()
        .and_then(passregion_core::application::valid_iban)
    else {
        return Err(MISSING_BANK_DETAILS.into());
    };
    let bic = match bic.as_deref().filter(|b| !b.trim().is_empty()) {
        None => None,
        Some(b) => match passregion_core::application::valid_bic(b, Some(&iban)) {
            Some(b) => Some(b),
            None => return Err(MISSING_BANK_DETAILS.into()),
        },
    };
    Ok(Payee { name, iban, bic })
}

const TRANSFER_SELECT: &str = "SELECT t.batch_id, t.end_to_end_id, b.partner_id, p.name,
    t.creditor_iban, t.amount_cents, t.status, t.bank_reference, t.booked_on, t.reason
    FROM payment_transfers t JOIN reimbursement_batches b ON b.id = t.batch_id
    JOIN partners p ON p.id = b.partner_id";

fn transfer_from_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<Result<PaymentTransfer, ServiceError>> {
    let iban: String = r.get(4)?;
    let booked: Option<String> = r.get(8)?;
    let cents: i64 = r.get(5)?;
    let build = || -> Result<PaymentTransfer, ServiceError> {
        Ok(PaymentTransfer {
            batch_id: r.get(0)?,
            end_to_end_id: r.get(1)?,
            partner_id: r.get(2)?,
            partner_name: r.get(3)?,
            iban: passregion_core::application::masked_iban(&iban),
            amount: SignedMoney::from_cents(cents)?,
            status: crate::platform::sql::enum_from(&r.get::<_, String>(6)?)?,
            bank_reference: r.get(7)?,
            booked_on: booked.as_deref().map(parse_date).transpose()?,
            reason: r.get(9)?,
        })
    };
    Ok(build())
}

fn run_by_id(c: &Connection, id: &str) -> Result<Option<PaymentRun>, ServiceError> {
    let head: Option<(String, String, String, i64, i64)> = c
        .query_row(
            "SELECT r.created_at, a.display_name, r.execution_date, r.transactions, r.total_cents
             FROM payment_runs r JOIN accounts a ON a.id = r.created_by WHERE r.id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let Some((created, by, exec, transactions, total)) = head else {
        return Ok(None);
    };
    Ok(Some(PaymentRun {
        id: id.to_owned(),
        created_at: parse_ts(&created)?,
        created_by: by,
        execution_date: parse_date(&exec)?,
        transactions,
        total: SignedMoney::from_cents(total)?,
        transfers: select_all(
            c,
            &format!("{TRANSFER_SELECT} WHERE t.run_id = ?1 ORDER BY p.name, t.batch_id"),
            &[&id],
            transfer_from_row,
        )?,
        blocked: Vec::new(),
    }))
}

impl PaymentsTx for Connection {
    fn payee(&self, partner_id: &str) -> Result<Result<Payee, String>, ServiceError> {
        payee(self, partner_id)
    }

    fn period_start(&self, batch: &Batch) -> Result<Option<DateTime<Utc>>, ServiceError> {
        let v: Option<String> = self.one(
            "SELECT MAX(period_end) FROM reimbursement_batches
             WHERE partner_id = ?1 AND period_end < ?2",
            params![batch.partner_id, ts(batch.period_end)],
            |r| r.get(0),
        )?;
        v.as_deref().map(parse_ts).transpose()
    }

    fn insert_run(&self, run: &NewRun<'_>) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO payment_runs (id, created_at, created_by, execution_date, debtor_name,
               debtor_iban, debtor_bic, transactions, total_cents, xml)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                run.id,
                ts(run.created_at),
                run.created_by,
                run.execution_date.to_string(),
                run.debtor.name,
                run.debtor.iban,
                run.debtor.bic,
                run.transactions,
                run.total_cents,
                run.xml
            ],
        )?;
        Ok(())
    }

    fn insert_transfer(
        &self,
        run_id: &str,
        batch_id: &str,
        t: &Transfer,
    ) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO payment_transfers (run_id, batch_id, end_to_end_id, amount_cents,
               creditor_name, creditor_iban, creditor_bic, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'envoye')",
            params![
                run_id,
                batch_id,
                t.end_to_end_id,
                t.amount_cents,
                t.creditor_name,
                t.creditor_iban,
                t.creditor_bic
            ],
        )?;
        Ok(())
    }

    fn mark_in_payment(&self, batch_id: &str) -> Result<(), ServiceError> {
        let n = self.exec(
            "UPDATE reimbursement_batches SET status = 'en_cours_de_paiement', rejection_reason = NULL
             WHERE id = ?1 AND status = 'en_cours'",
            [batch_id],
        )?;
        if n != 1 {
            return Err(ServiceError::Internal("batch left the queue".into()));
        }
        Ok(())
    }

    fn transfers_by_e2e(
        &self,
        e2e: &str,
        run_id: Option<&str>,
    ) -> Result<Vec<StoredTransfer>, ServiceError> {
        let mut stmt = self.prepare_cached(
            "SELECT t.run_id, t.batch_id, p.name, t.amount_cents, t.status
             FROM payment_transfers t JOIN reimbursement_batches b ON b.id = t.batch_id
             JOIN partners p ON p.id = b.partner_id
             WHERE t.end_to_end_id = ?1 AND (?2 IS NULL OR t.run_id = ?2)
             ORDER BY t.status = 'rejete', t.rowid DESC",
        )?;
        let rows = stmt.query_map(params![e2e, run_id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (run_id, batch_id, partner_name, amount_cents, status) = row?;
            out.push(StoredTransfer {
                run_id,
                batch_id,
                partner_name,
                amount_cents,
                status: TransferStatus::parse(&status)
                    .ok_or_else(|| ServiceError::Internal("bad transfer status".into()))?,
            });
        }
        Ok(out)
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
        self.exec(
            "UPDATE payment_transfers SET status = ?3, bank_reference = COALESCE(?4, bank_reference),
               booked_on = ?5, reason = ?6, settled_at = ?7
             WHERE run_id = ?1 AND batch_id = ?2",
            params![
                t.run_id,
                t.batch_id,
                status.as_str(),
                reference,
                booked_on.map(|d| d.to_string()),
                reason,
                ts(now)
            ],
        )?;
        Ok(())
    }

    fn mark_paid(
        &self,
        batch_id: &str,
        paid_on: NaiveDate,
        reference: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE reimbursement_batches SET status = 'rembourse', paid_at = ?2, paid_on = ?3,
               bank_reference = ?4, rejection_reason = NULL WHERE id = ?1",
            params![batch_id, ts(now), paid_on.to_string(), reference],
        )?;
        Ok(())
    }

    fn requeue(&self, batch_id: &str, reason: &str) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE reimbursement_batches SET status = 'en_cours', paid_at = NULL, paid_on = NULL,
               bank_reference = NULL, rejection_reason = ?2 WHERE id = ?1",
            params![batch_id, reason],
        )?;
        Ok(())
    }

    fn log(&self, e: &Event<'_>) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO payment_events (batch_id, event, amount_cents, reverses_payment, run_id,
               reference, booked_on, reason, account_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                e.batch_id,
                e.event,
                e.amount_cents,
                e.reverses_payment,
                e.run_id,
                e.reference,
                e.booked_on.map(|d| d.to_string()),
                e.reason,
                e.account_id,
                ts(e.at)
            ],
        )?;
        Ok(())
    }

    fn run(&self, id: &str) -> Result<Option<PaymentRun>, ServiceError> {
        run_by_id(self, id)
    }
}

/// Storage of money out.
pub trait PaymentsRepo: Send + Sync + 'static {
    /// A batch's statement: the partner's own (404 otherwise), or any for the Region.
    fn statement(&self, who: &Principal, batch_id: &str) -> Result<Statement, ServiceError>;
    /// Closed batches waiting for payment, and what blocks them.
    fn payment_queue(&self) -> Result<Vec<QueuedBatch>, ServiceError>;
    /// Creates a payment run (idempotent).
    fn create_payment_run(
        &self,
        who: &Principal,
        req: PaymentRunRequest,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError>;
    /// The payment runs, newest first.
    fn payment_runs(&self) -> Result<Vec<PaymentRun>, ServiceError>;
    /// A run.
    fn payment_run(&self, id: &str) -> Result<PaymentRun, ServiceError>;
    /// A run's `pain.001` file, as produced.
    fn payment_run_xml(&self, id: &str) -> Result<String, ServiceError>;
    /// Applies a bank statement (idempotent).
    fn import_bank_statement(
        &self,
        who: &Principal,
        xml: Vec<u8>,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError>;
    /// "Paid, reference X", logged.
    fn pay_manually(
        &self,
        who: &Principal,
        batch_id: &str,
        req: ManualPayment,
        now: DateTime<Utc>,
    ) -> Result<Batch, ServiceError>;
    /// A batch's payment audit, oldest first.
    fn payment_events(&self, batch_id: &str) -> Result<Vec<PaymentEvent>, ServiceError>;
    /// The accounting journal of the days `from..=to` (Region time), as CSV.
    fn accounting_journal(&self, from: NaiveDate, to: NaiveDate) -> Result<String, ServiceError>;
}

impl PaymentsRepo for SqliteStore {
    fn statement(&self, who: &Principal, batch_id: &str) -> Result<Statement, ServiceError> {
        let own = match who.role {
            crate::accounts::model::Role::Region => None,
            _ => Some(crate::reimbursements::service::own_partner(who)?),
        };
        let cats = self.catalogues.clone();
        self.db.read(|c| {
            let batch = batches_where(c, "b.id = ?1", &[&batch_id])?
                .into_iter()
                .next()
                .filter(|b| own.as_ref().is_none_or(|p| *p == b.partner_id))
                .ok_or(ServiceError::NotFound("Lot de remboursement"))?;
            crate::reimbursements::statement::build(c, &cats, batch)
        })
    }

    fn payment_queue(&self) -> Result<Vec<QueuedBatch>, ServiceError> {
        self.db.read(|c| {
            let batches = batches_where(c, "b.status = 'en_cours'", &[])?;
            let mut out = Vec::with_capacity(batches.len());
            for batch in batches {
                let blocked = payee(c, &batch.partner_id)?.err();
                out.push(QueuedBatch { batch, blocked });
            }
            Ok(out)
        })
    }

    fn create_payment_run(
        &self,
        who: &Principal,
        req: PaymentRunRequest,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError> {
        let debtor = self.policy.debtor.clone();
        let account = who.account_id.clone();
        self.db.write_outcome(move |c| {
            idempotent(c, &idem, now, |c| {
                let run = payments::create_run(c, &account, debtor.as_ref(), &req, now)?;
                Ok(Outcome::from(json_response(201, &run)))
            })
        })
    }

    fn payment_runs(&self) -> Result<Vec<PaymentRun>, ServiceError> {
        self.db.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id FROM payment_runs ORDER BY created_at DESC, id DESC LIMIT 200",
            )?;
            let ids = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            let mut out = Vec::new();
            for id in ids {
                out.extend(run_by_id(c, &id)?);
            }
            Ok(out)
        })
    }

    fn payment_run(&self, id: &str) -> Result<PaymentRun, ServiceError> {
        self.db
            .read(|c| run_by_id(c, id))?
            .ok_or(ServiceError::NotFound("Ordre de virement"))
    }

    fn payment_run_xml(&self, id: &str) -> Result<String, ServiceError> {
        self.db
            .read(|c| {
                Ok(
                    c.query_row("SELECT xml FROM payment_runs WHERE id = ?1", [id], |r| {
                        r.get(0)
                    })
                    .optional()?,
                )
            })?
            .ok_or(ServiceError::NotFound("Ordre de virement"))
    }

    fn import_bank_statement(
        &self,
        who: &Principal,
        xml: Vec<u8>,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError> {
        // Parsed outside the writer: a refused file costs the writer nothing.
        let statement = crate::reimbursements::camt::parse(&xml)
            .map_err(crate::reimbursements::error::ReimbursementsError::from)?;
        let account = who.account_id.clone();
        self.db.write_outcome(move |c| {
            idempotent(c, &idem, now, |c| {
                let result = payments::import_statement(c, &account, &statement, now)?;
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
        let (account, id) = (who.account_id.clone(), batch_id.to_owned());
        self.db
            .write(move |c| payments::pay_manually(c, &account, &id, &req, now))
    }

    fn payment_events(&self, batch_id: &str) -> Result<Vec<PaymentEvent>, ServiceError> {
        self.db.read(|c| {
            select_all(
                c,
                "SELECT e.batch_id, e.event, e.run_id, e.reference, e.booked_on, e.reason,
                   COALESCE(a.display_name, 'reprise des données'), e.created_at
                 FROM payment_events e LEFT JOIN accounts a ON a.id = e.account_id
                 WHERE e.batch_id = ?1 ORDER BY e.id",
                &[&batch_id],
                |r| {
                    let booked: Option<String> = r.get(4)?;
                    let at: String = r.get(7)?;
                    let build = || -> Result<PaymentEvent, ServiceError> {
                        Ok(PaymentEvent {
                            batch_id: r.get(0)?,
                            event: r.get(1)?,
                            run_id: r.get(2)?,
                            reference: r.get(3)?,
                            booked_on: booked.as_deref().map(parse_date).transpose()?,
                            reason: r.get(5)?,
                            by: r.get(6)?,
                            at: parse_ts(&at)?,
                        })
                    };
                    Ok(build())
                },
            )
        })
    }

    fn accounting_journal(&self, from: NaiveDate, to: NaiveDate) -> Result<String, ServiceError> {
        let cats = self.catalogues.clone();
        self.db
            .read(|c| crate::reimbursements::journal::journal(c, &cats, from, to))
    }
}
