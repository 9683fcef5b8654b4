//! Refunds on PostgreSQL (ADR 0036): the SQL of `debits::refund::RefundTx`; the rule stays in `debits::refund`.

use passregion_core::ledger::MovementKind;
use passregion_core::ledger::Totals;

use crate::debits::ledger::kind_code;
use crate::debits::refund::NewRefund;
use crate::debits::refund::RefundTx;
use crate::debits::refund::StoredDebit;
use crate::debits::repo_pg::append_ledger_after;
use crate::debits::repo_pg::lock_card;
use crate::debits::repo_pg::totals;
use crate::debits::repo_pg::tx_from;
use crate::debits::transactions::TX_SELECT;
use crate::error::ServiceError;
use crate::platform::pg_cache::CachedQueries;
use crate::platform::pg_tx::PgTx;
use crate::platform::sql::ts;

impl RefundTx for PgTx<'_, '_> {
    /// Locks the debit's card first (a refund moves its balance, ADR 0036
    /// decision 5), then reads the debit: two refunds of one debit on two
    /// instances run one after the other, and the second sees the first.
    fn partner_debit(
        &self,
        id: &str,
        partner_id: &str,
    ) -> Result<Option<StoredDebit>, ServiceError> {
        self.with(|tx| {
            let Some(card) = tx.query_opt_cached(
                "SELECT card_id FROM transactions WHERE id = $1 AND partner_id = $2",
                &[&id, &partner_id],
            )?
            else {
                return Ok(None);
            };
            let card_id: String = card.try_get(0)?;
            lock_card(tx, &card_id)?;
            let Some(row) = tx.query_opt_cached(
                &format!("{TX_SELECT} WHERE t.id = $1 AND t.partner_id = $2"),
                &[&id, &partner_id],
            )?
            else {
                return Ok(None);
            };
            let stored = tx.query_one_cached(
                "SELECT season, units, amount_cents FROM transactions WHERE id = $1",
                &[&id],
            )?;
            Ok(Some(StoredDebit {
                transaction: tx_from(&row)?,
                card_id,
                season: i32::try_from(stored.try_get::<_, i64>(0)?)
                    .map_err(|_| ServiceError::Internal("bad season".into()))?,
                units: stored.try_get(1)?,
                amount_cents: stored.try_get(2)?,
            }))
        })
    }

    fn insert_refund(&self, r: &NewRefund<'_>) -> Result<Totals, ServiceError> {
        let original = &r.original.transaction;
        self.with(|tx| {
            tx.execute_cached(
                "INSERT INTO transactions (id, kind, card_id, partner_id, account_id, season,
                 avantage, unit_kind, price_units, units, reste_units, amount_cents, refund_of,
                 channel, created_at)
                 VALUES ($1, 'refund', $2, $3, $4, $5, $6, $7, 0, $8, 0, $9, $10, $11, $12)",
                &[
                    &r.id,
                    &r.original.card_id,
                    &r.asked.partner_id,
                    &r.asked.account_id,
                    &i64::from(r.season.start_year()),
                    &original.avantage,
                    &kind_code(original.unit_kind),
                    &r.card_units,
                    &-r.value.cents(),
                    &r.asked.transaction_id,
                    &original.channel,
                    &ts(r.asked.now),
                ],
            )?;
            let before = totals(tx, &r.original.card_id, r.season, &original.avantage)?;
            // Nothing goes back to a card that paid nothing (its shortfall
            // was the Region's): no ledger row then.
            if r.card_units == 0 {
                return Ok(before);
            }
            append_ledger_after(
                tx,
                &r.original.card_id,
                r.season,
                &original.avantage,
                original.unit_kind,
                MovementKind::Refund,
                r.card_units,
                Some(&r.id),
                before,
                r.asked.now,
            )
        })
    }
}
