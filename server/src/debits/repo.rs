//! Storage of debits, refunds and transaction reads.

use crate::debits::service::{DebitTx, NewDebit};
use crate::debits::transactions::{page, transactions_where, with_labels};
use crate::platform::catalogues::Catalogues;
use passregion_core::ledger::Totals;

use crate::platform::db::Cached;

use chrono::DateTime;
use chrono::Utc;
use passregion_core::Season;
use passregion_core::ledger::MovementKind;
use rusqlite::OptionalExtension;
use rusqlite::params;

use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::accounts::partner_of;
use crate::accounts::require_role;
use crate::debits::card::CardRef;
use crate::debits::card::Channel;
use crate::debits::ledger::kind_code;
use crate::debits::model::CardInspection;
use crate::debits::model::DebitRequest;
use crate::debits::model::RefundRequest;
use crate::debits::model::Transaction;
use crate::debits::model::TransactionPage;
use crate::error::ServiceError;
use crate::platform::idempotency::Idempotency;
use crate::platform::idempotency::StoredResponse;
use crate::platform::idempotency::idempotent;
use crate::platform::sql::ts;
use crate::platform::store::SqliteStore;

/// Storage and rules of debits and refunds.
pub trait DebitsRepo: Send + Sync + 'static {
    /// What a partner may debit on a card.
    fn inspect_card(
        &self,
        who: &Principal,
        card: CardRef,
        now: DateTime<Utc>,
    ) -> Result<CardInspection, ServiceError>;
    /// A partner debits a card (idempotent).
    fn debit(
        &self,
        who: &Principal,
        card: CardRef,
        req: DebitRequest,
        channel: Channel,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError>;
    /// The stored answer of a debit already applied under this
    /// `Idempotency-Key` with this same request (a retry), if any.
    fn replayed_debit(&self, idem: &Idempotency) -> Result<Option<StoredResponse>, ServiceError>;
    /// A partner cancels a debit (idempotent).
    fn refund(
        &self,
        who: &Principal,
        transaction_id: &str,
        req: RefundRequest,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError>;
    /// A partner's transactions.
    fn partner_transactions(
        &self,
        who: &Principal,
        after: i64,
        limit: u32,
    ) -> Result<TransactionPage, ServiceError>;
    /// The youth's transactions.
    fn my_transactions(&self, who: &Principal) -> Result<Vec<Transaction>, ServiceError>;
    /// All transactions, as they happen.
    fn region_transactions(&self, after: i64, limit: u32) -> Result<TransactionPage, ServiceError>;
}

impl DebitsRepo for SqliteStore {
    fn inspect_card(
        &self,
        who: &Principal,
        card: CardRef,
        now: DateTime<Utc>,
    ) -> Result<CardInspection, ServiceError> {
        let (_, category) = partner_of(who)?;
        let cats = self.catalogues.clone();
        let policy = self.policy.clone();
        self.db.write_outcome(move |c| {
            crate::debits::flow::inspect(c, &cats, &policy, &card, category, now)
        })
    }

    fn debit(
        &self,
        who: &Principal,
        card: CardRef,
        req: DebitRequest,
        channel: Channel,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError> {
        let (partner_id, category) = partner_of(who)?;
        let partner_id = partner_id.to_owned();
        let account = who.account_id.clone();
        let cats = self.catalogues.clone();
        let policy = self.policy.clone();
        self.db.write_outcome(move |c| {
            let asked = crate::debits::flow::DebitAsked {
                partner_id: &partner_id,
                category,
                account_id: &account,
                card: &card,
                req: &req,
                channel,
                now,
            };
            idempotent(c, &idem, now, |c| {
                crate::debits::flow::debit(c, &cats, &policy, &asked)
            })
        })
    }

    fn replayed_debit(&self, idem: &Idempotency) -> Result<Option<StoredResponse>, ServiceError> {
        self.db
            .read(|c| crate::platform::idempotency::replayed(c, idem))
    }

    fn refund(
        &self,
        who: &Principal,
        transaction_id: &str,
        req: RefundRequest,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError> {
        let (partner_id, _) = partner_of(who)?;
        let partner_id = partner_id.to_owned();
        let account = who.account_id.clone();
        let tx_id = transaction_id.to_owned();
        let cats = self.catalogues.clone();
        let window = self.policy.refund;
        self.db.write_outcome(move |c| {
            idempotent(c, &idem, now, |c| {
                let asked = crate::debits::refund::RefundAsked {
                    partner_id: &partner_id,
                    account_id: &account,
                    transaction_id: &tx_id,
                    req: &req,
                    now,
                };
                crate::debits::flow::refund(c, &cats, window, &asked)
            })
        })
    }

    fn partner_transactions(
        &self,
        who: &Principal,
        after: i64,
        limit: u32,
    ) -> Result<TransactionPage, ServiceError> {
        require_role(who, Role::Partner)?;
        let pid = who
            .partner
            .as_ref()
            .map(|p| p.0.clone())
            .ok_or(ServiceError::Forbidden)?;
        let cats = self.catalogues.clone();
        self.db.read(move |c| {
            let items = transactions_where(
                c,
                "t.partner_id = ?1 AND t.seq > ?2 ORDER BY t.seq LIMIT ?3",
                &[&pid, &after, &limit],
            )?;
            Ok(page(with_labels(&cats, items), after))
        })
    }

    fn my_transactions(&self, who: &Principal) -> Result<Vec<Transaction>, ServiceError> {
        require_role(who, Role::Youth)?;
        let id = who.account_id.clone();
        let cats = self.catalogues.clone();
        self.db.read(move |c| {
            transactions_where(
                c,
                "t.card_id = (SELECT id FROM cards WHERE account_id = ?1) ORDER BY t.seq DESC LIMIT 500",
                &[&id],
            )
            .map(|items| with_labels(&cats, items))
        })
    }

    fn region_transactions(&self, after: i64, limit: u32) -> Result<TransactionPage, ServiceError> {
        let cats = self.catalogues.clone();
        self.db.read(move |c| {
            let items =
                transactions_where(c, "t.seq > ?1 ORDER BY t.seq LIMIT ?2", &[&after, &limit])?;
            Ok(page(with_labels(&cats, items), after))
        })
    }
}

impl crate::debits::qr::CredentialState for SqliteStore {
    fn credential_usable(&self, credential_id: &str) -> Result<bool, ServiceError> {
        let id = credential_id.to_owned();
        self.db.read(move |c| {
            Ok(c.one(
                "SELECT revoked_at IS NULL FROM app_credentials WHERE id = ?1",
                [id],
                |r| r.get::<_, bool>(0),
            )
            .optional()?
            .unwrap_or(false))
        })
    }
}

impl DebitTx for rusqlite::Connection {
    fn totals(
        &self,
        card_id: &str,
        season: Season,
        avantage: &str,
    ) -> Result<Totals, ServiceError> {
        crate::debits::ledger::totals(self, card_id, season, avantage)
    }

    fn qr_used(&self, credential_id: &str, counter: u32) -> Result<bool, ServiceError> {
        Ok(self
            .one(
                "SELECT 1 FROM qr_uses WHERE credential_id = ?1 AND counter = ?2",
                params![credential_id, counter],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    fn insert_debit(
        &self,
        cats: &Catalogues,
        d: &NewDebit<'_>,
    ) -> Result<Transaction, ServiceError> {
        self.exec(
            "INSERT INTO transactions (id, kind, card_id, partner_id, account_id, season, avantage,
                 unit_kind, price_units, units, reste_units, amount_cents, channel, created_at)
                 VALUES (?1, 'debit', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                d.id,
                d.card.id,
                d.at.partner_id,
                d.at.account_id,
                d.card.season.start_year(),
                d.avantage.code,
                kind_code(d.avantage.kind),
                d.price.units(),
                d.outcome.debited.units(),
                d.outcome.reste_a_payer.units(),
                d.reimbursed.cents(),
                d.at.channel,
                ts(d.at.now)
            ],
        )?;
        crate::debits::ledger::append_ledger_after(
            self,
            &d.card.id,
            d.card.season,
            &d.avantage.code,
            d.avantage.kind,
            MovementKind::Debit,
            d.outcome.debited.units(),
            Some(&d.id),
            d.before,
            d.at.now,
        )?;
        if let Some(u) = d.used_qr {
            self.exec(
                "INSERT INTO qr_uses (credential_id, counter, transaction_id) VALUES (?1, ?2, ?3)",
                params![u.credential_id, u.counter, d.id],
            )?;
        }
        self.transaction(cats, &d.id)
    }

    fn transaction(&self, cats: &Catalogues, id: &str) -> Result<Transaction, ServiceError> {
        with_labels(cats, transactions_where(self, "t.id = ?1", &[&id])?)
            .into_iter()
            .next()
            .ok_or(ServiceError::Internal("transaction not found".into()))
    }
}

impl crate::debits::refund::RefundTx for rusqlite::Connection {
    fn partner_debit(
        &self,
        id: &str,
        partner_id: &str,
    ) -> Result<Option<crate::debits::refund::StoredDebit>, ServiceError> {
        let Some(original) =
            transactions_where(self, "t.id = ?1 AND t.partner_id = ?2", &[&id, &partner_id])?
                .into_iter()
                .next()
        else {
            return Ok(None);
        };
        let (card_id, season, units, amount_cents): (String, i32, i64, i64) = self.one(
            "SELECT card_id, season, units, amount_cents FROM transactions WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        Ok(Some(crate::debits::refund::StoredDebit {
            transaction: original,
            card_id,
            season,
            units,
            amount_cents,
        }))
    }

    fn insert_refund(
        &self,
        r: &crate::debits::refund::NewRefund<'_>,
    ) -> Result<Totals, ServiceError> {
        let original = &r.original.transaction;
        self.exec(
            "INSERT INTO transactions (id, kind, card_id, partner_id, account_id, season, avantage,
             unit_kind, price_units, units, reste_units, amount_cents, refund_of, channel, created_at)
             VALUES (?1, 'refund', ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, 0, ?9, ?10, ?11, ?12)",
            params![
                r.id,
                r.original.card_id,
                r.asked.partner_id,
                r.asked.account_id,
                r.season.start_year(),
                original.avantage,
                kind_code(original.unit_kind),
                r.card_units,
                -r.value.cents(),
                r.asked.transaction_id,
                original.channel,
                ts(r.asked.now)
            ],
        )?;
        // Nothing goes back to a card that paid nothing (its shortfall was
        // the Region's): no ledger row then.
        if r.card_units == 0 {
            return crate::debits::ledger::totals(
                self,
                &r.original.card_id,
                r.season,
                &original.avantage,
            );
        }
        crate::debits::ledger::append_ledger(
            self,
            &r.original.card_id,
            r.season,
            &original.avantage,
            original.unit_kind,
            MovementKind::Refund,
            r.card_units,
            Some(&r.id),
            r.asked.now,
        )
    }
}

impl crate::debits::lookup::CardLookupTx for rusqlite::Connection {
    fn card_by_id(&self, id: &str) -> Result<Option<crate::debits::card::CardRow>, ServiceError> {
        crate::debits::card::card_by(self, "id", id)
    }

    fn card_by_number(
        &self,
        number: &str,
    ) -> Result<Option<crate::debits::card::CardRow>, ServiceError> {
        crate::debits::card::card_by(self, "number", number)
    }

    fn card_of_retired_number(
        &self,
        number: &str,
    ) -> Result<Option<crate::debits::card::CardRow>, ServiceError> {
        let id: Option<String> = self
            .one(
                "SELECT card_id FROM retired_card_numbers WHERE number = ?1",
                [number],
                |r| r.get(0),
            )
            .optional()?;
        match id {
            Some(id) => crate::debits::card::card_by(self, "id", &id),
            None => Ok(None),
        }
    }

    fn guard(
        &self,
        number_hash: &str,
        _card_locked: bool,
    ) -> Result<crate::debits::lookup::NumberGuard, ServiceError> {
        let row: Option<(i64, Option<String>, u32)> = self
            .one(
                "SELECT failed_attempts, locked_until, lockouts FROM number_guards
                 WHERE number_hash = ?1",
                [number_hash],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((failed_attempts, locked_until, lockouts)) = row else {
            return Ok(crate::debits::lookup::NumberGuard::default());
        };
        Ok(crate::debits::lookup::NumberGuard {
            failed_attempts,
            locked_until: locked_until
                .as_deref()
                .map(crate::platform::sql::parse_ts)
                .transpose()?,
            lockouts,
        })
    }

    fn set_guard(
        &self,
        number_hash: &str,
        g: &crate::debits::lookup::NumberGuard,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO number_guards (number_hash, failed_attempts, locked_until, lockouts, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (number_hash) DO UPDATE SET failed_attempts = excluded.failed_attempts,
             locked_until = excluded.locked_until, lockouts = excluded.lockouts,
             updated_at = excluded.updated_at",
            params![
                number_hash,
                g.failed_attempts,
                g.locked_until.map(ts),
                g.lockouts,
                ts(now)
            ],
        )?;
        Ok(())
    }

    fn record_lockout(
        &self,
        number_hash: &str,
        card_id: Option<&str>,
        g: &crate::debits::lookup::NumberGuard,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO number_lockouts (number_hash, card_id, locked_at, locked_until, lockout)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                number_hash,
                card_id,
                ts(now),
                ts(g.locked_until.unwrap_or(now)),
                g.lockouts
            ],
        )?;
        Ok(())
    }
}
