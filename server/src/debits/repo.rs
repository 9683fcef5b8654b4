//! Storage of debits, refunds and transaction reads.

use crate::debits::service::{DebitTx, NewDebit};
use crate::debits::transactions::{page, transactions_where, with_labels};
use crate::platform::catalogues::Catalogues;
use crate::platform::db::Outcome;
use passregion_core::ledger::Totals;

use crate::cards::error::CardsError;

use crate::platform::db::Cached;

use crate::debits::ledger::balances;

use chrono::DateTime;
use chrono::Utc;
use passregion_core::CardState;
use passregion_core::Season;
use passregion_core::debit::AvantageKind;
use passregion_core::debit::Quantity;
use passregion_core::ledger::MovementKind;
use passregion_core::season::region_date;
use rusqlite::OptionalExtension;
use rusqlite::params;

use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::accounts::partner_of;
use crate::accounts::require_role;
use crate::debits::card::CardRef;
use crate::debits::card::Channel;
use crate::debits::card::resolve_card;
use crate::debits::ledger::append_ledger;
use crate::debits::ledger::kind_code;
use crate::debits::ledger::units_text;
use crate::debits::model::CardInspection;
use crate::debits::model::DebitReceipt;
use crate::debits::model::DebitRequest;
use crate::debits::model::RefundRequest;
use crate::debits::model::Transaction;
use crate::debits::model::TransactionPage;
use crate::debits::service::DebitAt;
use crate::debits::service::apply_debit;
use crate::error::ServiceError;
use crate::platform::idempotency::Idempotency;
use crate::platform::idempotency::StoredResponse;
use crate::platform::idempotency::idempotent;
use crate::platform::idempotency::json_response;
use crate::platform::sql::new_id;
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
            let row = match resolve_card(c, &card, &policy, now)? {
                Outcome::Commit(r) => r,
                Outcome::CommitAndRefuse(e) => return Ok(Outcome::CommitAndRefuse(e)),
            };
            let state = CardState {
                status: row.status,
                season: row.season,
            };
            let usable = state.check_usable(region_date(now));
            let reason = usable.as_ref().err().map(|e| {
                crate::web::problem::ApiError::from(ServiceError::Cards(CardsError::Card(
                    e.clone(),
                )))
                .message
            });
            Ok(Outcome::Commit(CardInspection {
                card_id: row.id.clone(),
                holder: row.holder(),
                status: row.status.code().to_owned(),
                season: row.season.to_string(),
                usable: usable.is_ok(),
                reason,
                balances: balances(c, &cats, &row, Some(category))?,
            }))
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
            idempotent(c, &idem, now, |c| {
                let row = match resolve_card(c, &card, &policy, now)? {
                    Outcome::Commit(r) => r,
                    Outcome::CommitAndRefuse(e) => return Ok(Outcome::CommitAndRefuse(e)),
                };
                let used_qr = match &card {
                    CardRef::Scanned(crate::debits::qr::ScannedCard { used: Some(u), .. }) => {
                        Some(u.clone())
                    }
                    _ => None,
                };
                let at = DebitAt {
                    partner_id: &partner_id,
                    category,
                    account_id: &account,
                    channel: match channel {
                        Channel::Web => "web",
                        Channel::Qr => "qr",
                    },
                    now,
                };
                let (tx, balance) = match apply_debit(
                    c,
                    &cats,
                    &at,
                    &row,
                    &req.avantage,
                    req.price,
                    req.entries,
                    used_qr.as_ref(),
                )? {
                    Outcome::Commit(v) => v,
                    Outcome::CommitAndRefuse(e) => return Ok(Outcome::CommitAndRefuse(e)),
                };
                Ok(Outcome::from(json_response(
                    201,
                    &DebitReceipt {
                        transaction: tx,
                        balance,
                        holder: row.holder(),
                    },
                )))
            })
        })
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
        let policy = self.policy.clone();
        self.db.write_outcome(move |c| {
            idempotent(c, &idem, now, |c| {
                let original = transactions_where(c, "t.id = ?1 AND t.partner_id = ?2", &[&tx_id, &partner_id])?
                    .into_iter()
                    .next();
                let Some(original) = original else {
                    return Ok(Outcome::CommitAndRefuse(ServiceError::NotFound("Transaction")));
                };
                if original.kind != "debit" {
                    return Ok(Outcome::CommitAndRefuse(ServiceError::Invalid {
                        field: "transaction_id",
                        message: "Seul un débit peut être annulé.".into(),
                    }));
                }
                let (card_id, season, units): (String, i32, i64) = c.one(
                    "SELECT card_id, season, units FROM transactions WHERE id = ?1",
                    [&tx_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?;
                let debited = Quantity::from_units(original.unit_kind, units)?;
                let requested = match (original.unit_kind, req.amount, req.entries) {
                    (_, None, None) => None,
                    (AvantageKind::Credit, Some(a), None) => Some(Quantity::Credit { amount: a }),
                    (AvantageKind::Entries, None, Some(n)) => Some(Quantity::Entries { count: n }),
                    _ => return Ok(Outcome::CommitAndRefuse(passregion_core::RefundError::KindMismatch.into())),
                };
                let amount = match passregion_core::debit::refund(
                    debited,
                    original.refunded,
                    requested,
                    original.created_at,
                    now,
                    policy.refund,
                ) {
                    Ok(a) => a,
                    Err(e) => return Ok(Outcome::CommitAndRefuse(e.into())),
                };
                let season = Season::starting(season).map_err(|_| ServiceError::Internal("season".into()))?;
                let value = cats
                    .get(season)
                    .and_then(|cat| cat.avantage(&original.avantage))
                    .map(|a| a.reimbursed_value(amount))
                    .ok_or(ServiceError::Cards(CardsError::NoCatalogue))?;
                let id = new_id();
                c.exec(
                    "INSERT INTO transactions (id, kind, card_id, partner_id, account_id, season, avantage,
                     unit_kind, price_units, units, reste_units, amount_cents, refund_of, channel, created_at)
                     VALUES (?1, 'refund', ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, 0, ?9, ?10, ?11, ?12)",
                    params![
                        id,
                        card_id,
                        partner_id,
                        account,
                        season.start_year(),
                        original.avantage,
                        kind_code(original.unit_kind),
                        amount.units(),
                        -value.cents(),
                        tx_id,
                        original.channel,
                        ts(now)
                    ],
                )?;
                let t = append_ledger(
                    c,
                    &card_id,
                    season,
                    &original.avantage,
                    original.unit_kind,
                    MovementKind::Refund,
                    amount.units(),
                    Some(&id),
                    now,
                )?;
                let mut tx = with_labels(&cats, transactions_where(c, "t.id = ?1", &[&id])?)
                    .into_iter()
                    .next()
                    .ok_or(ServiceError::Internal("refund not found".into()))?;
                tx.balance_after = Some(units_text(original.unit_kind, t.balance()));
                Ok(Outcome::from(json_response(201, &tx)))
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

    fn insert_debit(&self, d: &NewDebit<'_>) -> Result<(), ServiceError> {
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
        Ok(())
    }

    fn transaction(&self, cats: &Catalogues, id: &str) -> Result<Transaction, ServiceError> {
        with_labels(cats, transactions_where(self, "t.id = ?1", &[&id])?)
            .into_iter()
            .next()
            .ok_or(ServiceError::Internal("transaction not found".into()))
    }
}
