//! A closed batch's statement: its lines (debits, refunds, offline debits,
//! collective bookings), totals per avantage, what was carried in from
//! earlier batches and out to the next one; the same content as CSV (here)
//! and as the *justificatif de remboursement* PDF (`statement_pdf.rs`).

use crate::platform::spreadsheet::cell;
use chrono::{DateTime, Utc};
use passregion_core::SignedMoney;
use passregion_core::season::REGION_TZ;
use rusqlite::Connection;

use crate::debits::model::Transaction;
use crate::debits::transactions::{transactions_where, with_labels};
use crate::error::ServiceError;
use crate::platform::catalogues::Catalogues;
use crate::platform::db::Cached;
use crate::platform::sql::parse_ts;
use crate::reimbursements::model::{AvantageTotal, Batch, Statement};

/// What a statement is made of, as read by an engine (SQLite below,
/// PostgreSQL in `payments_repo_pg.rs`); [`assemble`] makes the statement.
pub(crate) struct StatementRows {
    /// The batch's transactions, in order, not yet labelled.
    pub(crate) lines: Vec<Transaction>,
    /// Per avantage (in order): lines, Σ debits (cents ≥ 0), Σ refunds (≤ 0).
    pub(crate) avantages: Vec<(String, i64, i64, i64)>,
    /// End of the partner's batch before this one.
    pub(crate) period_start: Option<DateTime<Utc>>,
    /// End of the period of the batch the deficit carried in comes from.
    pub(crate) carried_from_period_end: Option<DateTime<Utc>>,
    pub(crate) siret: Option<String>,
}

/// The statement of `batch` from its rows (the one rule for both engines).
pub(crate) fn assemble(
    cats: &Catalogues,
    batch: Batch,
    rows: StatementRows,
) -> Result<Statement, ServiceError> {
    let lines = with_labels(cats, rows.lines);
    let mut avantages = Vec::new();
    let (mut debits, mut refunds) = (0i64, 0i64);
    for (avantage, count, plus, minus) in rows.avantages {
        debits += plus;
        refunds += minus;
        let avantage_label = lines
            .iter()
            .find(|l| l.avantage == avantage)
            .map_or_else(|| avantage.clone(), |l| l.avantage_label.clone());
        avantages.push(AvantageTotal {
            avantage,
            avantage_label,
            lines: count,
            debits: SignedMoney::from_cents(plus)?,
            refunds: SignedMoney::from_cents(minus)?,
            net: SignedMoney::from_cents(plus + minus)?,
        });
    }
    Ok(Statement {
        batch,
        siret: rows.siret,
        period_start: rows.period_start,
        carried_from_period_end: rows.carried_from_period_end,
        lines,
        avantages,
        debits: SignedMoney::from_cents(debits)?,
        refunds: SignedMoney::from_cents(refunds)?,
    })
}

/// The statement of `batch` (already checked visible to the caller).
pub(crate) fn build(
    c: &Connection,
    cats: &Catalogues,
    batch: Batch,
) -> Result<Statement, ServiceError> {
    let lines = transactions_where(c, "i.batch_id = ?1 ORDER BY t.seq", &[&batch.id])?;
    let mut stmt = c.prepare_cached(
        "SELECT t.avantage, COUNT(*),
           COALESCE(SUM(CASE WHEN t.amount_cents > 0 THEN t.amount_cents END), 0),
           COALESCE(SUM(CASE WHEN t.amount_cents < 0 THEN t.amount_cents END), 0)
         FROM transactions t JOIN reimbursement_items i ON i.transaction_id = t.id
         WHERE i.batch_id = ?1 GROUP BY t.avantage ORDER BY t.avantage",
    )?;
    let avantages = stmt
        .query_map([&batch.id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let instant =
        |sql: &str, arg: &dyn rusqlite::ToSql| -> Result<Option<DateTime<Utc>>, ServiceError> {
            let v: Option<String> = c.one(sql, [arg], |r| r.get(0))?;
            v.as_deref().map(parse_ts).transpose()
        };
    let end = crate::platform::sql::ts(batch.period_end);
    let period_start: Option<DateTime<Utc>> = {
        let v: Option<String> = c.one(
            "SELECT MAX(period_end) FROM reimbursement_batches
             WHERE partner_id = ?1 AND period_end < ?2",
            [&batch.partner_id, &end],
            |r| r.get(0),
        )?;
        v.as_deref().map(parse_ts).transpose()?
    };
    let carried_from_period_end = match &batch.carried_from {
        Some(id) => instant(
            "SELECT MAX(period_end) FROM reimbursement_batches WHERE id = ?1",
            id,
        )?,
        None => None,
    };
    let siret: Option<String> = c.one(
        "SELECT siret FROM partners WHERE id = ?1",
        [&batch.partner_id],
        |r| r.get(0),
    )?;
    let rows = StatementRows {
        lines,
        avantages,
        period_start,
        carried_from_period_end,
        siret,
    };
    assemble(cats, batch, rows)
}

/// The French words of a channel.
pub(crate) fn channel_label(channel: &str) -> &'static str {
    match channel {
        "qr" => "QR code",
        "web" => "saisie du numéro",
        "offline" => "hors ligne",
        "collective" => "réservation collective",
        _ => "autre",
    }
}

/// "Débit" or "Remboursement" (a refund to the card).
pub(crate) fn kind_label(kind: &str) -> &'static str {
    if kind == "refund" {
        "Remboursement"
    } else {
        "Débit"
    }
}

/// "03/12/2026 14:05" (Region time).
pub(crate) fn local_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&REGION_TZ)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// An amount for a French spreadsheet: `-12,50`.
pub(crate) fn fr_decimal(m: SignedMoney) -> String {
    m.to_string().replace('.', ",")
}

/// The statement's lines as CSV: `;`-separated, French headers, UTF-8 with a BOM.
pub(crate) fn csv(s: &Statement) -> Result<Vec<u8>, ServiceError> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let err = |e: csv::Error| ServiceError::Internal(format!("csv: {e}"));
    w.write_record([
        "Date",
        "Type",
        "Canal",
        "Avantage",
        "Carte",
        "Montant remboursé (€)",
        "Réservation",
        "Transaction",
        "Lot",
    ])
    .map_err(err)?;
    for l in &s.lines {
        let amount = SignedMoney::parse(&l.reimbursed_amount)?;
        w.write_record([
            local_time(l.created_at).as_str(),
            kind_label(&l.kind),
            channel_label(&l.channel),
            &cell(&l.avantage_label),
            &l.card,
            &fr_decimal(amount),
            &cell(l.booking_label.as_deref().unwrap_or("")),
            &l.id,
            &s.batch.id,
        ])
        .map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| ServiceError::Internal(format!("csv: {e}")))
}
