//! The rules of money out (ADR 0030): payment runs, the bank's statements,
//! payments by hand. Storage goes through the SQL-only `PaymentsTx` trait
//! (`reimbursements/payments_repo.rs`), inside one writer transaction each.
//!
//! - A run takes closed batches still in the queue (`en_cours`) whose partner
//!   has a valid IBAN and no bank-details change waiting for approval; the
//!   others are refused (wrong state: the whole run) or left out (blocked,
//!   reported). Its batches become `en_cours_de_paiement`; the file is made
//!   once and kept.
//! - A statement's transfer matches a live transfer by end-to-end id (and
//!   run, when the bank reports it): booked → `rembourse` with the bank's
//!   reference and date; rejected or returned → back `en_cours` with the
//!   reason. A transfer already settled changes nothing: importing twice is
//!   harmless, and a batch is never paid twice.
//! - By hand: "paid, reference X", from the queue or a run, logged.

pub mod http;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use passregion_core::SignedMoney;
use passregion_core::season::REGION_TZ;
use passregion_core::status::{BatchStatus, StatementEntryResult, TransferStatus};

use crate::error::ServiceError;
use crate::reimbursements::camt::{self, CamtStatement, CamtTransfer, Direction};
use crate::reimbursements::error::ReimbursementsError;
use crate::reimbursements::model::{
    Batch, BlockedBatch, ManualPayment, PaymentRun, PaymentRunRequest, StatementEntry,
    StatementImport,
};
use crate::reimbursements::pain001::{self, CreditTransfer, DebtorAccount, Transfer};
use crate::reimbursements::service::{self, ReimbursementsTx};

/// Most batches in one run.
pub const MAX_RUN_BATCHES: usize = 2_000;
/// How far ahead a run's execution date may be.
pub const MAX_EXECUTION_DAYS: i64 = 90;

/// The account a partner is paid on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Payee {
    pub(crate) name: String,
    pub(crate) iban: String,
    pub(crate) bic: Option<String>,
}

/// A transfer of a run, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredTransfer {
    pub(crate) run_id: String,
    pub(crate) batch_id: String,
    pub(crate) partner_name: String,
    pub(crate) amount_cents: i64,
    pub(crate) status: TransferStatus,
}

/// A step of a batch's payment, for the append-only audit.
#[derive(Debug, Clone)]
pub(crate) struct Event<'a> {
    pub(crate) batch_id: &'a str,
    pub(crate) event: &'static str,
    pub(crate) amount_cents: i64,
    pub(crate) reverses_payment: bool,
    pub(crate) run_id: Option<&'a str>,
    pub(crate) reference: Option<&'a str>,
    pub(crate) booked_on: Option<NaiveDate>,
    pub(crate) reason: Option<&'a str>,
    pub(crate) account_id: &'a str,
    pub(crate) at: DateTime<Utc>,
}

/// The run to store.
#[derive(Debug)]
pub(crate) struct NewRun<'a> {
    pub(crate) id: &'a str,
    pub(crate) created_by: &'a str,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) execution_date: NaiveDate,
    pub(crate) debtor: &'a DebtorAccount,
    pub(crate) transactions: i64,
    pub(crate) total_cents: i64,
    pub(crate) xml: &'a str,
}

/// The storage of payments inside the writer's transaction. SQL only, no rule.
pub(crate) trait PaymentsTx: ReimbursementsTx {
    /// The partner's account, or why it cannot be paid now (in French).
    fn payee(&self, partner_id: &str) -> Result<Result<Payee, String>, ServiceError>;
    /// End of the partner's batch before this one.
    fn period_start(&self, batch: &Batch) -> Result<Option<DateTime<Utc>>, ServiceError>;
    fn insert_run(&self, run: &NewRun<'_>) -> Result<(), ServiceError>;
    fn insert_transfer(
        &self,
        run_id: &str,
        batch_id: &str,
        t: &Transfer,
    ) -> Result<(), ServiceError>;
    /// The batch is in the run: `en_cours_de_paiement`, no rejection shown.
    fn mark_in_payment(&self, batch_id: &str) -> Result<(), ServiceError>;
    /// The transfers with this end-to-end id (in the run `run_id` when
    /// given), the live one first.
    fn transfers_by_e2e(
        &self,
        end_to_end_id: &str,
        run_id: Option<&str>,
    ) -> Result<Vec<StoredTransfer>, ServiceError>;
    /// Settles a transfer: paid or rejected, with the bank's words.
    fn settle_transfer(
        &self,
        t: &StoredTransfer,
        status: TransferStatus,
        reference: Option<&str>,
        booked_on: Option<NaiveDate>,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// The batch is paid on `paid_on` with `reference`.
    fn mark_paid(
        &self,
        batch_id: &str,
        paid_on: NaiveDate,
        reference: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// The batch is back in the queue, with the reason shown to the partner.
    fn requeue(&self, batch_id: &str, reason: &str) -> Result<(), ServiceError>;
    fn log(&self, e: &Event<'_>) -> Result<(), ServiceError>;
    fn run(&self, id: &str) -> Result<Option<PaymentRun>, ServiceError>;
}

fn today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&REGION_TZ).date_naive()
}

/// Creates a payment run from closed batches (see the module's rules).
pub(crate) fn create_run(
    tx: &dyn PaymentsTx,
    account_id: &str,
    debtor: Option<&DebtorAccount>,
    req: &PaymentRunRequest,
    now: DateTime<Utc>,
) -> Result<PaymentRun, ServiceError> {
    let debtor = debtor.ok_or(ReimbursementsError::NoDebtorAccount)?;
    let invalid = |message: &str| ServiceError::Invalid {
        field: "batch_ids",
        message: message.into(),
    };
    if req.batch_ids.is_empty() || req.batch_ids.len() > MAX_RUN_BATCHES {
        return Err(invalid(
            "Choisissez de 1 à 2 000 lots de remboursement clos.",
        ));
    }
    let mut ids: Vec<&str> = req.batch_ids.iter().map(String::as_str).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|w| w[0] == w[1]) {
        return Err(invalid("Un même lot est choisi deux fois."));
    }
    let execution_date = req.execution_date.unwrap_or(today(now));
    if execution_date < today(now)
        || execution_date > today(now) + Duration::days(MAX_EXECUTION_DAYS)
    {
        return Err(ServiceError::Invalid {
            field: "execution_date",
            message: "La date d'exécution va d'aujourd'hui à 90 jours au plus.".into(),
        });
    }
    let mut chosen = Vec::new();
    let mut blocked = Vec::new();
    for id in &req.batch_ids {
        let batch = tx
            .batch(id)?
            .ok_or(ServiceError::NotFound("Lot de remboursement"))?;
        let batch_id = batch.id.clone();
        match Some(batch.status) {
            Some(BatchStatus::InProgress) => {}
            Some(BatchStatus::PaymentInProgress) => {
                return Err(ReimbursementsError::AlreadyInRun { batch_id }.into());
            }
            Some(BatchStatus::Paid) => {
                return Err(ReimbursementsError::AlreadyPaid { batch_id }.into());
            }
            Some(BatchStatus::Offset) | None => {
                return Err(ReimbursementsError::NothingToPay { batch_id }.into());
            }
        }
        match tx.payee(&batch.partner_id)? {
            Ok(payee) => chosen.push((batch, payee)),
            Err(reason) => blocked.push(BlockedBatch {
                batch_id,
                partner_name: batch.partner_name,
                reason,
            }),
        }
    }
    if chosen.is_empty() {
        return Err(ReimbursementsError::NoPayableBatch(
            blocked
                .iter()
                .map(|b| format!("{} ({})", b.partner_name, b.reason))
                .collect(),
        )
        .into());
    }
    chosen.sort_by(|a, b| (&a.0.partner_name, &a.0.id).cmp(&(&b.0.partner_name, &b.0.id)));
    let mut transfers = Vec::new();
    for (batch, payee) in &chosen {
        transfers.push(Transfer {
            end_to_end_id: pain001::end_to_end_id(&batch.id),
            amount_cents: batch.payable.cents(),
            creditor_name: payee.name.clone(),
            creditor_iban: payee.iban.clone(),
            creditor_bic: payee.bic.clone(),
            remittance: pain001::remittance(tx.period_start(batch)?, batch.period_end),
        });
    }
    let run_id = pain001::end_to_end_id(&crate::platform::sql::new_id());
    let xml = pain001::write(&CreditTransfer {
        message_id: &run_id,
        created_at: now,
        execution_date,
        debtor,
        transfers: &transfers,
    })
    .map_err(|e| ServiceError::Internal(format!("pain.001: {e}")))?;
    let total_cents: i64 = transfers.iter().map(|t| t.amount_cents).sum();
    tx.insert_run(&NewRun {
        id: &run_id,
        created_by: account_id,
        created_at: now,
        execution_date,
        debtor,
        transactions: transfers.len() as i64,
        total_cents,
        xml: &xml,
    })?;
    for ((batch, _), t) in chosen.iter().zip(&transfers) {
        tx.insert_transfer(&run_id, &batch.id, t)?;
        tx.mark_in_payment(&batch.id)?;
        tx.log(&Event {
            batch_id: &batch.id,
            event: "mis_en_paiement",
            amount_cents: t.amount_cents,
            reverses_payment: false,
            run_id: Some(&run_id),
            reference: None,
            booked_on: None,
            reason: None,
            account_id,
            at: now,
        })?;
    }
    let mut run = tx
        .run(&run_id)?
        .ok_or_else(|| ServiceError::Internal("run not stored".into()))?;
    run.blocked = blocked;
    Ok(run)
}

/// Applies a bank statement: one result per transfer read.
pub(crate) fn import_statement(
    tx: &dyn PaymentsTx,
    account_id: &str,
    statement: &CamtStatement,
    now: DateTime<Utc>,
) -> Result<StatementImport, ServiceError> {
    let mut entries = Vec::new();
    let (mut paid, mut rejected) = (0, 0);
    for t in &statement.transfers {
        let (entry, changed) = apply(tx, account_id, t, now)?;
        match StatementEntryResult::parse(&entry.result) {
            Some(StatementEntryResult::Paid) if changed => paid += 1,
            Some(StatementEntryResult::Rejected) if changed => rejected += 1,
            _ => {}
        }
        entries.push(entry);
    }
    let unchanged = entries.len() as i64 - paid - rejected;
    Ok(StatementImport {
        message: statement.message.clone(),
        paid,
        rejected,
        unchanged,
        entries,
    })
}

fn apply(
    tx: &dyn PaymentsTx,
    account_id: &str,
    t: &CamtTransfer,
    now: DateTime<Utc>,
) -> Result<(StatementEntry, bool), ServiceError> {
    let mut entry = StatementEntry {
        end_to_end_id: t.end_to_end_id.clone(),
        batch_id: None,
        partner_name: None,
        amount: SignedMoney::from_cents(t.amount_cents)?,
        result: StatementEntryResult::Unknown.as_str().to_owned(),
        bank_reference: t.bank_reference.clone(),
        booked_on: t.booked_on,
        reason: None,
    };
    let set = |e: &mut StatementEntry, r: StatementEntryResult| e.result = r.as_str().to_owned();
    if !t.rejected && (!t.booked || t.direction != Some(Direction::Debit)) {
        set(&mut entry, StatementEntryResult::Ignored);
        return Ok((entry, false));
    }
    if t.end_to_end_id.is_empty() {
        return Ok((entry, false));
    }
    let found = tx.transfers_by_e2e(&t.end_to_end_id, t.payment_info_id.as_deref())?;
    // The live transfer (sent or paid) if any, else the latest rejected one.
    let Some(stored) = found.into_iter().next() else {
        return Ok((entry, false));
    };
    entry.batch_id = Some(stored.batch_id.clone());
    entry.partner_name = Some(stored.partner_name.clone());
    if t.amount_cents != stored.amount_cents {
        set(&mut entry, StatementEntryResult::AmountMismatch);
        return Ok((entry, false));
    }
    let reference = t
        .bank_reference
        .as_deref()
        .map(|r| r.chars().take(35).collect::<String>());
    let booked_on = t.booked_on.unwrap_or(today(now));
    if t.rejected {
        let reason = camt::reason(t);
        entry.reason = Some(reason.clone());
        set(&mut entry, StatementEntryResult::Rejected);
        if stored.status == TransferStatus::Rejected {
            set(&mut entry, StatementEntryResult::AlreadySettled);
            return Ok((entry, false));
        }
        let was_paid = stored.status == TransferStatus::Paid;
        tx.settle_transfer(
            &stored,
            TransferStatus::Rejected,
            reference.as_deref(),
            Some(booked_on),
            Some(&reason),
            now,
        )?;
        tx.requeue(&stored.batch_id, &reason)?;
        tx.log(&Event {
            batch_id: &stored.batch_id,
            event: "rejete",
            amount_cents: stored.amount_cents,
            reverses_payment: was_paid,
            run_id: Some(&stored.run_id),
            reference: reference.as_deref(),
            booked_on: Some(booked_on),
            reason: Some(&reason),
            account_id,
            at: now,
        })?;
        return Ok((entry, true));
    }
    set(&mut entry, StatementEntryResult::Paid);
    if stored.status != TransferStatus::Sent {
        set(&mut entry, StatementEntryResult::AlreadySettled);
        return Ok((entry, false));
    }
    tx.settle_transfer(
        &stored,
        TransferStatus::Paid,
        reference.as_deref(),
        Some(booked_on),
        None,
        now,
    )?;
    tx.mark_paid(&stored.batch_id, booked_on, reference.as_deref(), now)?;
    tx.log(&Event {
        batch_id: &stored.batch_id,
        event: "paye",
        amount_cents: stored.amount_cents,
        reverses_payment: false,
        run_id: Some(&stored.run_id),
        reference: reference.as_deref(),
        booked_on: Some(booked_on),
        reason: None,
        account_id,
        at: now,
    })?;
    Ok((entry, true))
}

/// "Paid, reference X": a batch of the queue or of a run marked paid by hand
/// (its transfer, if any, settled), logged with who and when.
pub(crate) fn pay_manually(
    tx: &dyn PaymentsTx,
    account_id: &str,
    batch_id: &str,
    req: &ManualPayment,
    now: DateTime<Utc>,
) -> Result<Batch, ServiceError> {
    let reference = req.reference.trim();
    if reference.is_empty()
        || reference.chars().count() > 35
        || reference.chars().any(char::is_control)
    {
        return Err(ServiceError::Invalid {
            field: "reference",
            message:
                "Indiquez la référence du virement donnée par la banque (35 caractères au plus)."
                    .into(),
        });
    }
    let paid_on = req.paid_on.unwrap_or(today(now));
    if paid_on > today(now) {
        return Err(ServiceError::Invalid {
            field: "paid_on",
            message: "La date du paiement ne peut pas être dans le futur.".into(),
        });
    }
    // The status rules (offset and paid batches refused).
    let before = service::pay(tx, batch_id, now)?;
    let e2e = pain001::end_to_end_id(batch_id);
    let live = tx
        .transfers_by_e2e(&e2e, None)?
        .into_iter()
        .find(|t| t.batch_id == batch_id && t.status == TransferStatus::Sent);
    if let Some(t) = &live {
        tx.settle_transfer(
            t,
            TransferStatus::Paid,
            Some(reference),
            Some(paid_on),
            None,
            now,
        )?;
    }
    tx.mark_paid(batch_id, paid_on, Some(reference), now)?;
    tx.log(&Event {
        batch_id,
        event: "paye_manuellement",
        amount_cents: before.payable.cents(),
        reverses_payment: false,
        run_id: live.as_ref().map(|t| t.run_id.as_str()),
        reference: Some(reference),
        booked_on: Some(paid_on),
        reason: None,
        account_id,
        at: now,
    })?;
    tx.batch(batch_id)?
        .ok_or(ServiceError::NotFound("Lot de remboursement"))
}
