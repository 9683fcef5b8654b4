//! Reimbursements of partners, in batches.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::api::debits::Transaction;
use crate::signed_money::SignedMoney;

/// A reimbursement batch: its own lines, what it carries in from earlier
/// batches (refunds after a payout are clawed back, not hidden), what the
/// Region pays and what is carried to the partner's next batch.
/// `total + carried_in = payable + carried_out`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Batch {
    /// Id.
    pub id: String,
    /// Partner.
    pub partner_id: String,
    /// Partner name.
    pub partner_name: String,
    /// Transactions up to this instant are included.
    pub period_end: DateTime<Utc>,
    /// Debits − refunds of the batch's own transactions (signed: negative
    /// when its refunds exceed its debits).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "-12.50"))]
    pub total: SignedMoney,
    /// What the partner owed from earlier batches, deducted here
    /// (*report du lot précédent*): zero or negative.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "-12.50"))]
    pub carried_in: SignedMoney,
    /// The batch the deficit was carried from, if any.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub carried_from: Option<String>,
    /// What the Region pays for this batch: `total + carried_in`, never below zero.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub payable: SignedMoney,
    /// What is left owing, carried to the partner's next batch
    /// (*reporté sur le lot suivant*): zero or negative.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub carried_out: SignedMoney,
    /// Number of transactions.
    pub transactions: i64,
    /// `en_cours` (to be paid), `en_cours_de_paiement` (in a transfer sent
    /// to the bank), `rembourse` (paid) or `compense` (settled by
    /// offsetting: nothing to pay).
    pub status: crate::status::BatchStatus,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// When it was recorded paid.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub paid_at: Option<DateTime<Utc>>,
    /// The bank's booking date of the transfer (or the date given by hand).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub paid_on: Option<NaiveDate>,
    /// The bank's reference of the payment (from its statement, or typed by
    /// the Region when marked paid by hand).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub bank_reference: Option<String>,
    /// The payment run (*ordre de virement*) the batch is in, while
    /// `en_cours_de_paiement`, or the one that paid it.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub payment_run_id: Option<String>,
    /// Why the bank rejected its last transfer (the batch is back in the
    /// queue), e.g. "AC01 — IBAN incorrect"; none once in a new run.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub rejection_reason: Option<String>,
}

/// The partner's reimbursement view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReimbursementSummary {
    /// Debits − refunds not yet in a batch (signed).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub pending_total: SignedMoney,
    /// Payable euros of the batches being paid.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub in_progress_total: SignedMoney,
    /// Euros already paid.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub paid_total: SignedMoney,
    /// What the partner owes after refunds of paid debits, to be deducted
    /// from its next batches: zero or negative.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub carried_total: SignedMoney,
    /// Batches, newest first.
    pub batches: Vec<Batch>,
}

/// `POST /api/region/reimbursements/close`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// Include transactions before this instant (default: now).
    pub period_end: Option<DateTime<Utc>>,
}

/// Totals of one avantage in a batch's statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AvantageTotal {
    /// Avantage code.
    pub avantage: String,
    /// Its label in the season's catalogue.
    pub avantage_label: String,
    /// Number of lines.
    pub lines: i64,
    /// Debits (zero or positive).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub debits: SignedMoney,
    /// Refunds (zero or negative).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub refunds: SignedMoney,
    /// `debits + refunds`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub net: SignedMoney,
}

/// The statement of a closed batch (*relevé*, and its *justificatif de
/// remboursement* in PDF): every line, the totals per avantage, what was
/// carried in from earlier batches and what is carried to the next one.
/// `Σ lines = Σ net = batch.total`; `total + carried_in = payable + carried_out`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Statement {
    /// The batch, with its amounts and status.
    pub batch: Batch,
    /// The partner's SIRET, as on the justificatif.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub siret: Option<String>,
    /// End of the partner's previous batch: the lines are after it (none
    /// for its first batch).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub period_start: Option<DateTime<Utc>>,
    /// End of the period of the batch the carried deficit comes from.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub carried_from_period_end: Option<DateTime<Utc>>,
    /// Debits, refunds, offline debits and collective bookings, oldest first.
    pub lines: Vec<Transaction>,
    /// Totals per avantage, by code.
    pub avantages: Vec<AvantageTotal>,
    /// Σ debits of the lines (zero or positive).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub debits: SignedMoney,
    /// Σ refunds of the lines (zero or negative).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub refunds: SignedMoney,
}

/// `POST /api/region/reimbursements/{id}/pay`: a batch paid outside a
/// payment run's statement (the transfer was confirmed otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ManualPayment {
    /// The bank's reference of the payment (1 to 35 characters).
    pub reference: String,
    /// The booking date (default: today, Region time).
    #[serde(default)]
    pub paid_on: Option<NaiveDate>,
}

/// `POST /api/region/payment-runs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PaymentRunRequest {
    /// Closed batches (`en_cours`) to pay, at most 2,000.
    pub batch_ids: Vec<String>,
    /// Requested execution date (default and earliest: today, Region time).
    #[serde(default)]
    pub execution_date: Option<NaiveDate>,
}

/// One transfer of a payment run: one batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentTransfer {
    /// The batch.
    pub batch_id: String,
    /// The transfer's end-to-end id: the batch id's 32 hex digits.
    pub end_to_end_id: String,
    /// Partner.
    pub partner_id: String,
    /// Partner name.
    pub partner_name: String,
    /// Creditor IBAN, masked but for its country and last four characters.
    pub iban: String,
    /// Amount: the batch's payable.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub amount: SignedMoney,
    /// `envoye`, `paye` or `rejete`.
    pub status: crate::status::TransferStatus,
    /// The bank's reference once paid.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub bank_reference: Option<String>,
    /// The booking (or rejection) date.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub booked_on: Option<NaiveDate>,
    /// Why it was rejected.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub reason: Option<String>,
}

/// A batch left out of a payment run, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlockedBatch {
    /// The batch.
    pub batch_id: String,
    /// Partner name.
    pub partner_name: String,
    /// e.g. "bloqué : coordonnées bancaires en attente".
    pub reason: String,
}

/// A payment run (*ordre de virement*): one SEPA credit transfer file
/// (`pain.001.001.09`), one transaction per batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentRun {
    /// Id: the file's message id and payment information id.
    pub id: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Who created it.
    pub created_by: String,
    /// Requested execution date.
    pub execution_date: NaiveDate,
    /// Number of transfers.
    pub transactions: i64,
    /// The file's control sum: Σ amounts.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub total: SignedMoney,
    /// Transfers by partner name.
    pub transfers: Vec<PaymentTransfer>,
    /// Batches asked for but left out (only in the answer to the creation).
    #[serde(default)]
    pub blocked: Vec<BlockedBatch>,
}

/// A closed batch waiting for payment, as the Region's payment desk sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueuedBatch {
    /// The batch (`en_cours`).
    pub batch: Batch,
    /// Why it cannot go in a run now (no IBAN, bank details waiting for
    /// approval), if so.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub blocked: Option<String>,
}

/// What the import of one transfer of a bank statement did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatementEntry {
    /// The end-to-end id read (empty when the entry had none).
    pub end_to_end_id: String,
    /// The batch it matched.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub batch_id: Option<String>,
    /// Partner name of that batch.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub partner_name: Option<String>,
    /// Amount read.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub amount: SignedMoney,
    /// `paye`, `rejete`, `deja_traite`, `non_rapproche`, `montant_different`, `ignore`.
    pub result: String,
    /// The bank's reference.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub bank_reference: Option<String>,
    /// Booking date.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub booked_on: Option<NaiveDate>,
    /// The rejection's reason (code and French words).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub reason: Option<String>,
}

/// `POST /api/region/payment-runs/import`: one line per transfer of the statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatementImport {
    /// `camt.054` or `camt.053`, with its version.
    pub message: String,
    /// Batches marked paid.
    pub paid: i64,
    /// Batches back in the queue.
    pub rejected: i64,
    /// Entries that changed nothing.
    pub unchanged: i64,
    /// Each transfer read, in the file's order.
    pub entries: Vec<StatementEntry>,
}

/// One event of a batch's payment, in the append-only audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentEvent {
    /// The batch.
    pub batch_id: String,
    /// `mis_en_paiement`, `paye`, `rejete` or `paye_manuellement`.
    pub event: String,
    /// Run.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub run_id: Option<String>,
    /// Bank reference.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub reference: Option<String>,
    /// Booking date.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub booked_on: Option<NaiveDate>,
    /// Rejection reason.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub reason: Option<String>,
    /// Who (display name of the Region's account).
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// `GET /api/region/accounting-journal`: dates of the Region (inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct JournalQuery {
    /// First day.
    pub from: NaiveDate,
    /// Last day (at most 366 days after `from`).
    pub to: NaiveDate,
}
