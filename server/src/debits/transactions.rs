//! Reading transactions: the row mapping and the queries every list uses
//! (youth history, partner list, Region feed). A collective debit carries
//! its booking and label (the `collective_booking_cards` row that points to
//! it; tables of `establishments::collective`).

use crate::debits::ledger::kind_from;
use crate::debits::ledger::units_text;
use crate::debits::model::Transaction;
use crate::debits::model::TransactionPage;
use crate::error::ServiceError;
use crate::platform::catalogues::Catalogues;
use crate::platform::sql::parse_ts;
use crate::platform::sql::select_all;
use passregion_core::Season;
use passregion_core::debit::AvantageKind;
use passregion_core::status::BatchStatus;
use passregion_core::status::ReimbursementStatus;
use rusqlite::Connection;

pub(crate) const TX_SELECT: &str =
    "SELECT t.id, t.seq, t.kind, t.partner_id, p.name, c.number, t.avantage,
    t.unit_kind, t.price_units, t.units, t.reste_units, t.amount_cents, t.refund_of,
    EXISTS (SELECT 1 FROM transactions r WHERE r.refund_of = t.id), t.channel,
    b.status, t.created_at, t.season, cb.id, cb.label
    FROM transactions t
    JOIN partners p ON p.id = t.partner_id
    JOIN cards c ON c.id = t.card_id
    LEFT JOIN reimbursement_items i ON i.transaction_id = t.id
    LEFT JOIN reimbursement_batches b ON b.id = i.batch_id
    LEFT JOIN collective_booking_cards cl ON cl.transaction_id = t.id
    LEFT JOIN collective_bookings cb ON cb.id = cl.booking_id";

pub(crate) fn tx_from_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<Result<Transaction, ServiceError>> {
    let unit_kind: String = r.get(7)?;
    let number: String = r.get(5)?;
    let batch_status: Option<String> = r.get(15)?;
    let created: String = r.get(16)?;
    let season: i32 = r.get(17)?;
    let amount: i64 = r.get(11)?;
    let build = || -> Result<Transaction, ServiceError> {
        let kind = kind_from(&unit_kind)?;
        Ok(Transaction {
            id: r.get(0)?,
            seq: r.get(1)?,
            kind: r.get(2)?,
            partner_id: r.get(3)?,
            partner_name: r.get(4)?,
            card: format!("•••• {}", number.get(12..).unwrap_or("")),
            avantage: r.get(6)?,
            avantage_label: String::new(),
            season: Season::starting(season)
                .map(|s| s.to_string())
                .unwrap_or_default(),
            unit_kind: kind,
            price: units_text(kind, r.get(8)?),
            debited: units_text(kind, r.get(9)?),
            reste_a_payer: units_text(kind, r.get(10)?),
            balance_after: None,
            reimbursed_amount: units_text(AvantageKind::Credit, amount),
            refund_of: r.get(12)?,
            refunded: r.get::<_, i64>(13)? != 0,
            channel: r.get(14)?,
            booking_id: r.get(18)?,
            booking_label: r.get(19)?,
            reimbursement_status: ReimbursementStatus::of_batch(
                batch_status
                    .as_deref()
                    .map(|s| BatchStatus::parse(s).ok_or(()))
                    .transpose()
                    .map_err(|()| {
                        rusqlite::Error::InvalidColumnType(
                            15,
                            "status".into(),
                            rusqlite::types::Type::Text,
                        )
                    })?,
            )
            .as_str()
            .to_owned(),
            created_at: parse_ts(&created)?,
        })
    };
    Ok(build())
}

/// Fills each transaction's avantage label from its season's catalogue.
pub(crate) fn with_labels(cats: &Catalogues, mut items: Vec<Transaction>) -> Vec<Transaction> {
    for t in &mut items {
        t.avantage_label = t
            .season
            .parse::<Season>()
            .ok()
            .and_then(|s| cats.get(s))
            .and_then(|c| c.avantage(&t.avantage))
            .map_or_else(|| t.avantage.clone(), |a| a.label.clone());
    }
    items
}

pub(crate) fn transactions_where(
    conn: &Connection,
    clause: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<Transaction>, ServiceError> {
    select_all(
        conn,
        &format!("{TX_SELECT} WHERE {clause}"),
        args,
        tx_from_row,
    )
}

pub(crate) fn page(items: Vec<Transaction>, after: i64) -> TransactionPage {
    let next_cursor = items.last().map_or(after, |t| t.seq);
    TransactionPage { items, next_cursor }
}
