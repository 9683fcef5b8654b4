//! The demo's own storage calls (`DemoRepo`), beside what the storage
//! traits offer: the rows no service writes (the établissements of the
//! directory, the partners already validated, the candidate, the Region
//! roles), the look-ups of a database seeded before, and the class of
//! `desk_class.rs` in one transaction. SQLite here, PostgreSQL in
//! `repo_pg.rs`; the rules are in `mod.rs`, `class.rs`, `desk_class.rs`.

use chrono::{DateTime, Utc};
use passregion_core::status::RegionRole;
use rusqlite::{Connection, OptionalExtension, params};

use crate::cards::service::{CardsTx, OrdersTx};
use crate::error::ServiceError;
use crate::platform::catalogues::Catalogues;
use crate::platform::sql::ts;
use crate::platform::store::SqliteStore;

/// An établissement of the demo: (id, name, kind, city, postal code).
pub type DemoEstablishment = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// A partner of the demo, validated with its convention signed.
#[derive(Debug, Clone)]
pub struct DemoPartner {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its category's code.
    pub category: String,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// Latitude.
    pub latitude: f64,
    /// Longitude.
    pub longitude: f64,
    /// When it applied and signed.
    pub signed_at: DateTime<Utc>,
}

/// The structure that applied online and signed, waiting for the Region.
#[derive(Debug, Clone)]
pub struct DemoCandidate {
    /// The structure's id.
    pub partner_id: String,
    /// Its manager's account id.
    pub account_id: String,
    /// Its manager's e-mail.
    pub email: String,
    /// Its manager's password hash.
    pub password_hash: String,
    /// When it applied (its account too).
    pub applied_at: DateTime<Utc>,
    /// When it signed.
    pub signed_at: DateTime<Utc>,
}

/// What the class of `desk_class.rs` writes beside the one-by-one rules.
pub(crate) trait DemoClassTx: OrdersTx + CardsTx {
    /// The first head of an établissement.
    fn head_of(&self, establishment_id: &str) -> Result<String, ServiceError>;
    /// A youth's account, its e-mail verified.
    fn insert_youth(
        &self,
        id: &str,
        email: &str,
        password_hash: &str,
        display_name: &str,
        at: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
}

/// The demo's storage calls, per engine.
pub(crate) trait DemoRepo: Send + Sync {
    /// Runs `f` (check and seed) so that instances starting together on one
    /// database seed once: PostgreSQL holds an advisory lock meanwhile;
    /// SQLite's file has one server.
    fn with_seed_lock(
        &self,
        f: &mut dyn FnMut() -> Result<Option<DemoSummary>, ServiceError>,
    ) -> Result<Option<DemoSummary>, ServiceError>;
    /// Whether the database has no account yet.
    fn demo_is_empty(&self) -> Result<bool, ServiceError>;
    /// The établissements (as the national directory would give them).
    fn demo_insert_establishments(
        &self,
        rows: &'static [DemoEstablishment],
    ) -> Result<(), ServiceError>;
    /// A partner, validated.
    fn demo_insert_partner(&self, p: DemoPartner) -> Result<(), ServiceError>;
    /// The candidate structure and its manager's account.
    fn demo_insert_candidate(&self, c: DemoCandidate) -> Result<(), ServiceError>;
    /// Gives an agent its Region role.
    fn demo_set_region_role(&self, account_id: &str, role: RegionRole) -> Result<(), ServiceError>;
    /// (id, number) of active cards, oldest first, but the card of the
    /// account `except_email` (the featured youth keeps her full credit).
    fn demo_active_cards(
        &self,
        except_email: &str,
        limit: i64,
    ) -> Result<Vec<(String, String)>, ServiceError>;
    /// Which of these e-mails have an account.
    fn demo_accounts_exist(&self, emails: &[String]) -> Result<Vec<bool>, ServiceError>;
    /// The card number and birth date (`YYYY-MM-DD`) of the account `email`.
    fn demo_card_of(&self, email: &str) -> Result<Option<(String, String)>, ServiceError>;
    /// Runs the class's rules (`desk_class::seed_class_with`) in one
    /// transaction.
    fn demo_seed_class(&self, rules: ClassRules) -> Result<(), ServiceError>;
}

/// The class's rules, run by [`DemoRepo::demo_seed_class`] in one transaction.
pub(crate) type ClassRules =
    Box<dyn Fn(&dyn DemoClassTx, &Catalogues) -> Result<(), ServiceError> + Send + Sync>;

/// Demo logins printed at start.
pub struct DemoSummary {
    /// Whether the demo data was created by this start (else it was already there).
    pub created: bool,
    /// (role, e-mail) pairs worth trying.
    pub logins: Vec<(String, String)>,
    /// The featured youth's card number and birth date (for the web debit form).
    pub featured_card: Option<(String, chrono::NaiveDate)>,
}

impl DemoClassTx for Connection {
    fn head_of(&self, establishment_id: &str) -> Result<String, ServiceError> {
        Ok(self.query_row(
            "SELECT id FROM accounts WHERE establishment_id = ?1 AND establishment_role = 'head'
             ORDER BY created_at LIMIT 1",
            [establishment_id],
            |r| r.get::<_, String>(0),
        )?)
    }

    fn insert_youth(
        &self,
        id: &str,
        email: &str,
        password_hash: &str,
        display_name: &str,
        at: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.execute(
            "INSERT INTO accounts (id, email, password_hash, role, display_name, created_at,
             email_verified_at) VALUES (?1, ?2, ?3, 'youth', ?4, ?5, ?5)",
            params![id, email, password_hash, display_name, ts(at)],
        )?;
        Ok(())
    }
}

impl DemoRepo for SqliteStore {
    fn with_seed_lock(
        &self,
        f: &mut dyn FnMut() -> Result<Option<DemoSummary>, ServiceError>,
    ) -> Result<Option<DemoSummary>, ServiceError> {
        f()
    }

    fn demo_is_empty(&self) -> Result<bool, ServiceError> {
        self.db().read(|c| {
            let n: i64 = c.query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get(0))?;
            Ok(n == 0)
        })
    }

    fn demo_insert_establishments(
        &self,
        rows: &'static [DemoEstablishment],
    ) -> Result<(), ServiceError> {
        self.db().write(move |c| {
            for (id, name, kind, city, cp) in rows {
                c.execute(
                    "INSERT INTO establishments (id, name, kind, city, postal_code)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![id, name, kind, city, cp],
                )?;
            }
            Ok(())
        })
    }

    fn demo_insert_partner(&self, p: DemoPartner) -> Result<(), ServiceError> {
        self.db().write(move |c| {
            c.execute(
                "INSERT INTO partners (id, name, category, address, city, postal_code, latitude,
                 longitude, status, convention_signed_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?10, ?9, ?9)",
                params![
                    p.id,
                    p.name,
                    p.category,
                    p.address,
                    p.city,
                    p.postal_code,
                    p.latitude,
                    p.longitude,
                    ts(p.signed_at),
                    passregion_core::status::ConventionStatus::Validated.as_str()
                ],
            )?;
            Ok(())
        })
    }

    fn demo_insert_candidate(&self, d: DemoCandidate) -> Result<(), ServiceError> {
        self.db().write(move |c| {
            c.execute(
                "INSERT INTO partners (id, name, category, address, city, postal_code, latitude,
                 longitude, status, created_at, siret, phone, contact_name, iban, bic,
                 submitted_at, convention_signed_at)
                 VALUES (?1, 'Cinéma Les Alizés', 'cinema', '214 avenue Franklin-Roosevelt', 'Bron',
                 '69500', 45.7386, 4.9128, 'pending', ?2, '73282932000074', '+33611223344',
                 'Karim Benali', 'FR7630006000011234567890189', 'AGRIFRPP', ?2, ?3)",
                params![d.partner_id, ts(d.applied_at), ts(d.signed_at)],
            )?;
            c.execute(
                "INSERT INTO accounts (id, email, password_hash, role, display_name, partner_id,
                 created_at, email_verified_at, partner_role)
                 VALUES (?1, ?2, ?3, 'partner', 'Karim Benali', ?4, ?5, ?5, 'manager')",
                params![
                    d.account_id,
                    d.email,
                    d.password_hash,
                    d.partner_id,
                    ts(d.applied_at)
                ],
            )?;
            Ok(())
        })
    }

    fn demo_set_region_role(&self, account_id: &str, role: RegionRole) -> Result<(), ServiceError> {
        let id = account_id.to_owned();
        self.db().write(move |c| {
            c.execute(
                "UPDATE accounts SET region_role = ?2 WHERE id = ?1",
                params![id, role.as_str()],
            )?;
            Ok(())
        })
    }

    fn demo_active_cards(
        &self,
        except_email: &str,
        limit: i64,
    ) -> Result<Vec<(String, String)>, ServiceError> {
        self.db().read(|c| {
            let mut stmt = c.prepare(
                "SELECT c.id, c.number FROM cards c JOIN accounts a ON a.id = c.account_id
                  WHERE c.status = ?1 AND a.email <> ?2
                  ORDER BY c.created_at, c.number LIMIT ?3",
            )?;
            let rows = stmt.query_map(
                params![
                    passregion_core::CardStatus::Active.code(),
                    except_email,
                    limit
                ],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn demo_accounts_exist(&self, emails: &[String]) -> Result<Vec<bool>, ServiceError> {
        self.db().read(|c| {
            emails
                .iter()
                .map(|e| {
                    Ok(
                        c.query_row("SELECT 1 FROM accounts WHERE email = ?1", [e], |_| Ok(()))
                            .optional()?
                            .is_some(),
                    )
                })
                .collect()
        })
    }

    fn demo_card_of(&self, email: &str) -> Result<Option<(String, String)>, ServiceError> {
        self.db().read(|c| {
            Ok(c.query_row(
                "SELECT c.number, c.birth_date FROM cards c JOIN accounts a ON a.id = c.account_id
                 WHERE a.email = ?1",
                [email],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?)
        })
    }

    fn demo_seed_class(&self, rules: ClassRules) -> Result<(), ServiceError> {
        let cats = self.catalogues.clone();
        self.db().write(move |c| rules(c, &cats))
    }
}
