//! Lost cards on PostgreSQL (ADR 0036): the SQL of `LostTx` in PostgreSQL's dialect; the rule stays in `lost::declare_lost`. The card's row is locked before it is read (`CardsTx::card` on PostgreSQL), so a replacement and a debit of the card, or two replacements, run one after the other across instances: a debit waits, then finds the card posted (not usable); a second declaration retires the new number, not the old one again.

use chrono::DateTime;
use chrono::Utc;

use crate::accounts::model::Principal;
use crate::cards::lost::LostCardsRepo;
use crate::cards::lost::LostTx;
use crate::cards::lost::establishment_lost;
use crate::cards::lost::youth_lost;
use crate::cards::model::CardView;
use crate::debits::repo_pg::PgTx;
use crate::error::ServiceError;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;

impl LostTx for PgTx<'_, '_> {
    fn number_known(&self, number: &str) -> Result<bool, ServiceError> {
        self.with(|tx| {
            Ok(tx
                .query_opt(
                    "SELECT 1 FROM cards WHERE number = $1
                     UNION ALL SELECT 1 FROM retired_card_numbers WHERE number = $1 LIMIT 1",
                    &[&number],
                )?
                .is_some())
        })
    }

    fn replace_number(
        &self,
        card_id: &str,
        old: &str,
        new_number: &str,
        reason: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "INSERT INTO retired_card_numbers (number, card_id, reason, declared_by, retired_at)
                 VALUES ($1, $2, $3, $4, $5)",
                &[&old, &card_id, &reason, &by, &ts(now)],
            )?;
            tx.execute(
                "UPDATE cards SET number = $2, version = version + 1, posted_at = NULL WHERE id = $1",
                &[&card_id, &new_number],
            )?;
            Ok(())
        })
    }
}

impl LostCardsRepo for PgStore {
    fn youth_card_lost(
        &self,
        who: &Principal,
        stolen: bool,
        now: DateTime<Utc>,
    ) -> Result<CardView, ServiceError> {
        self.pool.write(|tx| {
            youth_lost(
                &PgTx::new(tx),
                &self.catalogues,
                &who.account_id,
                stolen,
                now,
            )
        })
    }

    fn establishment_card_lost(
        &self,
        who: &Principal,
        card_id: &str,
        stolen: bool,
        now: DateTime<Utc>,
    ) -> Result<CardView, ServiceError> {
        let eid = crate::accounts::establishment_of(who)?.to_owned();
        self.pool.write(|tx| {
            establishment_lost(
                &PgTx::new(tx),
                &self.catalogues,
                &eid,
                card_id,
                stolen,
                &who.account_id,
                now,
            )
        })
    }
}
