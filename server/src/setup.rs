//! `passregion-server init`: a region's first start without the demo. Creates
//! the data directory (0700), the database, the keys, and the first Region
//! administrator, who chooses a password through a one-time setup link
//! (mailed, and printed for the operator). Optionally moves the root key out
//! of the data directory to a path meant to go offline, after signing a
//! trust list with it (ADR 0010).

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};

use crate::accounts::model::Role;
use crate::accounts::password::{hash_password, new_token};
use crate::accounts::repo::NewAccount;
use crate::config::{Config, Policy, load_catalogues};
use crate::platform::csv_import::LineError;
use crate::platform::db::Db;
use crate::platform::imports::ImportsRepo;

/// A storage engine the import commands run on.
pub trait ImportStore: crate::state::Storage + ImportsRepo {}

impl<T: crate::state::Storage + ImportsRepo> ImportStore for T {}
use crate::platform::keys::{ROOT_KEY_FILE, SIGNED_LIST_FILE, ServerKeys};
use crate::platform::mail::Mail;
use crate::platform::sql::sha256_hex;
use crate::platform::store::SqliteStore;

/// How long the administrator's setup link works.
pub const SETUP_LINK_VALIDITY: Duration = Duration::hours(72);

/// What `init` did.
#[derive(Debug)]
pub struct InitReport {
    /// The link the administrator follows to choose a password.
    pub setup_link: String,
    /// Where the root key went, when moved out of the data directory.
    pub root_key_moved_to: Option<PathBuf>,
}

/// Initialises a data directory for a region (see the module documentation).
/// Refuses a directory that already has a Region account.
pub fn init(
    config: &Config,
    admin_email: &str,
    admin_name: &str,
    root_key_out: Option<&Path>,
    now: DateTime<Utc>,
) -> anyhow::Result<InitReport> {
    let email = crate::accounts::check_email("admin_email", &admin_email.trim().to_lowercase())
        .map_err(|e| anyhow::anyhow!("adresse de l'administrateur invalide : {e}"))?;
    let name = admin_name.trim();
    anyhow::ensure!(
        !name.is_empty() && name.chars().count() <= 80,
        "nom de l'administrateur invalide (1 à 80 caractères)"
    );
    let store = open_accounts(config)?;
    ServerKeys::load_or_create(&config.data_dir, now)?;
    anyhow::ensure!(
        !store
            .has_account_with_role(Role::Region)
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        "cette installation a déjà un compte de la Région : rien n'a été changé"
    );
    // An unusable password until the link is followed.
    let placeholder = hash_password(&new_token()).map_err(|e| anyhow::anyhow!("{e}"))?;
    store
        .create_account(NewAccount {
            email: email.clone(),
            password_hash: placeholder,
            role: Role::Region,
            display_name: name.to_owned(),
            partner_id: None,
            establishment_id: None,
        })
        .map_err(|e| anyhow::anyhow!("cannot create the administrator: {e}"))?;
    let token = new_token();
    store
        .create_reset_token(
            &email,
            &sha256_hex(token.as_bytes()),
            now + SETUP_LINK_VALIDITY,
            now,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let base = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://localhost:{}", config.bind.port()));
    let setup_link = format!(
        "{}/#/reinitialiser?jeton={token}",
        base.trim_end_matches('/')
    );
    crate::app::mailer(config)?
        .send(&Mail {
            to: email,
            subject: "PASS'Région : votre compte d'administration".into(),
            body: format!(
                "Bonjour {name},\n\nVotre compte d'administration de PASS'Région est créé. Choisissez votre mot de passe avec ce lien (valable 72 heures, une seule fois) :\n{setup_link}\n"
            ),
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let root_key_moved_to = match root_key_out {
        Some(out) => Some(move_root_key(&config.data_dir, out, now)?),
        None => None,
    };
    Ok(InitReport {
        setup_link,
        root_key_moved_to,
    })
}

/// The accounts of the configured engine for `init`.
fn open_accounts(config: &Config) -> anyhow::Result<std::sync::Arc<dyn ImportStore>> {
    open_store(config)
}

/// The configured engine, for `init` and the imports: PostgreSQL with
/// `--database-url` (migrated), else the data directory's (0700) SQLite
/// database, migrated.
fn open_store(config: &Config) -> anyhow::Result<std::sync::Arc<dyn ImportStore>> {
    crate::platform::private_dir(&config.data_dir)
        .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
    let catalogues = std::sync::Arc::new(load_catalogues(&config.catalogues)?);
    if let Some(url) = &config.database_url {
        let pool = crate::platform::pg::PgPool::connect(url, 2)
            .and_then(|p| p.migrate().map(|_| p))
            .map_err(|e| anyhow::anyhow!("cannot open the PostgreSQL database: {e}"))?;
        return Ok(std::sync::Arc::new(crate::platform::store::PgStore::new(
            pool,
            catalogues,
            Policy::default(),
        )));
    }
    let db_path = config.data_dir.join("passregion.db");
    crate::platform::private_file(&db_path)?;
    let db = std::sync::Arc::new(
        Db::open(&db_path).map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?,
    );
    Ok(std::sync::Arc::new(SqliteStore::new(
        db,
        catalogues,
        Policy::default(),
    )))
}

/// Signs a 30-day trust list with the root key, then moves the key to `out`
/// (0600): from then on the server never holds it (`sign-trust-list` signs
/// the next lists, from the offline copy).
fn move_root_key(data_dir: &Path, out: &Path, now: DateTime<Utc>) -> anyhow::Result<PathBuf> {
    let keys = data_dir.join("keys");
    let root = keys.join(ROOT_KEY_FILE);
    anyhow::ensure!(
        !out.exists(),
        "{} existe déjà : rien n'a été déplacé",
        out.display()
    );
    ServerKeys::sign_trust_list(
        data_dir,
        &root,
        &keys.join(SIGNED_LIST_FILE),
        now,
        Duration::days(30),
    )?;
    crate::platform::private_file(out)?;
    std::fs::copy(&root, out).with_context(|| format!("cannot write {}", out.display()))?;
    std::fs::remove_file(&root).with_context(|| format!("cannot remove {}", root.display()))?;
    Ok(out.to_owned())
}

/// `import-establishments`: checks the whole file, reports every bad line,
/// and imports only a clean file (unless `dry_run`). Returns (added,
/// updated), or the line errors.
pub fn import_establishments(
    config: &Config,
    text: &str,
    dry_run: bool,
) -> anyhow::Result<Result<(usize, usize), Vec<LineError>>> {
    let rows = match crate::establishments::import::parse(text) {
        Ok(rows) => rows,
        Err(errors) => return Ok(Err(errors)),
    };
    if dry_run {
        return Ok(Ok((rows.len(), 0)));
    }
    let store = open_store(config)?;
    Ok(Ok(store
        .upsert_establishments(rows)
        .map_err(|e| anyhow::anyhow!("{e}"))?))
}

/// What a staff import did: how many were invited and the addresses
/// refused; or every bad line of the file (nothing done).
pub type StaffImport = Result<(usize, Vec<String>), Vec<LineError>>;

/// What a command needs to invite people by e-mail (staff, partners'
/// managers, youths): the same mailer, password workers, per-address mail
/// limit and link base as the server.
struct Inviting {
    runtime: tokio::runtime::Runtime,
    mailer: std::sync::Arc<dyn crate::platform::mail::Mailer>,
    passwords: crate::accounts::password::PasswordWork,
    mails: crate::web::limits::FailureWindow,
    public_url: String,
}

impl Inviting {
    fn new(config: &Config) -> anyhow::Result<Inviting> {
        Ok(Inviting {
            runtime: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?,
            mailer: crate::app::mailer(config)?,
            passwords: crate::accounts::password::PasswordWork::for_this_machine(),
            mails: crate::web::limits::FailureWindow::new(3, chrono::Duration::hours(24)),
            public_url: config
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://localhost:{}", config.bind.port())),
        })
    }

    /// Sends a mail (within the per-address limit).
    fn send(&self, mail: Mail) {
        self.runtime
            .block_on(crate::accounts::registration::send_limited(
                self.mailer.clone(),
                &self.mails,
                "invitation",
                mail,
                chrono::Utc::now(),
            ));
    }
}

/// A refused invitation, as reported.
fn refused(line: usize, email: &str, e: crate::error::ServiceError) -> String {
    format!(
        "ligne {line} ({email}) : {}",
        crate::web::problem::ApiError::from(e).message
    )
}

/// The établissements' UAIs.
fn establishment_ids(store: &dyn ImportStore) -> anyhow::Result<std::collections::HashSet<String>> {
    store
        .establishment_ids()
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Imports établissement staff from a CSV file (`uai;email;nom;role`):
/// every line checked first (nothing on error), then each person invited
/// by e-mail, `progress(done, total)` after each. Returns how many were
/// invited and the addresses refused (already used elsewhere).
pub fn import_staff(
    config: &Config,
    text: &str,
    dry_run: bool,
    progress: &dyn Fn(usize, usize),
) -> anyhow::Result<StaffImport> {
    let store = open_store(config)?;
    let ids = establishment_ids(&*store)?;
    let rows = match crate::establishments::staff_import::parse(text, &|u| ids.contains(u)) {
        Ok(rows) => rows,
        Err(errors) => return Ok(Err(errors)),
    };
    if dry_run {
        return Ok(Ok((rows.len(), Vec::new())));
    }
    let inviting = Inviting::new(config)?;
    let (total, mut invited, mut refused_lines) = (rows.len(), 0, Vec::new());
    for (i, row) in rows.into_iter().enumerate() {
        let staffing = crate::establishments::desk::Staffing {
            store: store.clone(),
            passwords: &inviting.passwords,
            mailer: inviting.mailer.clone(),
            mails: &inviting.mails,
            public_url: &inviting.public_url,
        };
        let invitation = passregion_core::api::desk::EstablishmentInvitation {
            email: row.email.clone(),
            display_name: row.name.clone(),
            role: row.role,
        };
        match inviting
            .runtime
            .block_on(crate::establishments::desk::invite_to(
                staffing,
                row.uai.clone(),
                invitation,
                chrono::Utc::now(),
            )) {
            Ok(_) => invited += 1,
            Err(e) => refused_lines.push(refused(row.line, &row.email, e)),
        }
        progress(i + 1, total);
    }
    Ok(Ok((invited, refused_lines)))
}

/// Imports the partners of a previous system (`partners::import`): every
/// line checked first (nothing on error), then all of them stored in one
/// transaction, validated with their migrated convention in force, then
/// each manager invited by e-mail, `progress(done, total)` after each.
/// Returns how many partners were imported and the invitations refused.
pub fn import_partners(
    config: &Config,
    text: &str,
    dry_run: bool,
    progress: &dyn Fn(usize, usize),
) -> anyhow::Result<StaffImport> {
    let store = open_store(config)?;
    let now = chrono::Utc::now();
    // A read that fails counts as a conflict: the line is refused.
    let rows = match crate::partners::import::parse(
        text,
        passregion_core::season::region_date(now),
        &|s| store.siret_known(s).unwrap_or(true),
        &|e| !matches!(store.account_by_email(e), Ok(None)),
    ) {
        Ok(rows) => rows,
        Err(errors) => return Ok(Err(errors)),
    };
    if dry_run {
        return Ok(Ok((rows.len(), Vec::new())));
    }
    {
        store
            .ensure_cgp(crate::partners::cgp::default_cgp(now), now)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let files = std::sync::Arc::new(crate::platform::files::DocumentStore::new(
        config.data_dir.join("documents"),
        config.max_document_mib.max(1) * 1024 * 1024,
    ));
    let ids = store
        .import_partners(rows.clone(), files, now)
        .map_err(|e| anyhow::anyhow!("{}", crate::platform::csv_import::message(e)))?;
    let inviting = Inviting::new(config)?;
    let (total, mut refused_lines) = (rows.len(), Vec::new());
    for (i, (row, id)) in rows.into_iter().zip(ids).enumerate() {
        let staffing = crate::partners::staff::Staffing {
            store: store.clone(),
            passwords: &inviting.passwords,
            mailer: inviting.mailer.clone(),
            mails: &inviting.mails,
            public_url: &inviting.public_url,
        };
        let invitation = passregion_core::api::staff::StaffInvitation {
            email: row.manager_email.clone(),
            display_name: row.manager_name.clone(),
            role: passregion_core::status::PartnerRole::Manager,
        };
        if let Err(e) = inviting.runtime.block_on(crate::partners::staff::invite_to(
            staffing,
            id,
            invitation,
            chrono::Utc::now(),
        )) {
            refused_lines.push(refused(row.line, &row.manager_email, e));
        }
        progress(i + 1, total);
    }
    Ok(Ok((total, refused_lines)))
}

/// What a card import did: cards created, lines already imported by an
/// earlier run (skipped); or every bad line of the file (nothing done).
pub type CardImport = Result<(usize, usize), Vec<LineError>>;

/// Lines stored per writer transaction by `import-cards`.
pub const CARD_CHUNK: usize = 100;

/// Imports the cards of a previous system with their balances left
/// (`cards::import`): every line checked first (nothing on error), then
/// [`CARD_CHUNK`] lines per transaction, each youth invited by e-mail
/// once its chunk is stored, `progress(done, total)` after each chunk. A
/// line imported by an earlier run is skipped, so the same file can be run
/// again after an interruption.
pub fn import_cards(
    config: &Config,
    text: &str,
    dry_run: bool,
    progress: &dyn Fn(usize, usize),
) -> anyhow::Result<CardImport> {
    use crate::cards::import::EmailState;
    let store = open_store(config)?;
    let now = chrono::Utc::now();
    let season = passregion_core::Season::of_instant(now);
    let catalogues = load_catalogues(&config.catalogues)?;
    let catalogue = catalogues
        .get(season)
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("aucun catalogue pour la saison {season}"))?;
    let ids = establishment_ids(&*store)?;
    let rows = match crate::cards::import::parse(
        text,
        &catalogue,
        passregion_core::season::region_date(now),
        &|u| ids.contains(u),
        &|e| store.card_email_state(e).unwrap_or(EmailState::Taken),
    ) {
        Ok(rows) => rows,
        Err(errors) => return Ok(Err(errors)),
    };
    let skipped = rows.iter().filter(|r| r.already_imported).count();
    if dry_run {
        return Ok(Ok((rows.len() - skipped, skipped)));
    }
    let inviting = Inviting::new(config)?;
    let placeholder = inviting
        .runtime
        .block_on(crate::accounts::invitation::placeholder_hash(
            &inviting.passwords,
        ))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (total, mut done, mut created) = (rows.len(), 0, 0);
    for chunk in rows.chunks(CARD_CHUNK) {
        let invited = store.import_card_chunk(
            chunk.to_vec(),
            placeholder.clone(),
            season,
            chrono::Utc::now(),
        )
        .map_err(|e| {
            anyhow::anyhow!(
                "{} ({created} carte(s) créée(s) avant : relancez le même fichier pour reprendre)",
                crate::platform::csv_import::message(e)
            )
        })?;
        created += invited.len();
        for y in invited {
            inviting.send(youth_mail(&inviting.public_url, y));
        }
        done += chunk.len();
        progress(done, total);
    }
    Ok(Ok((created, skipped)))
}

fn youth_mail(public_url: &str, y: crate::cards::import_repo::YouthInvitation) -> Mail {
    Mail {
        to: y.email,
        subject: "PASS'Région : votre carte sur la nouvelle plateforme".into(),
        body: format!(
            "Bonjour {},\n\nVotre carte PASS'Région et ce qu'il vous reste à utiliser ont été repris sur la nouvelle plateforme. Votre nouveau numéro de carte est {} (l'ancien ne fonctionne plus).\nPour choisir votre mot de passe et activer votre compte, ouvrez ce lien (valable 7 jours, une seule fois) :\n{}/#/invitation?jeton={}&espace=jeune\n\nSi vous ne vous attendiez pas à ce message, ignorez-le.",
            y.first_name,
            y.number,
            public_url.trim_end_matches('/'),
            y.token
        ),
    }
}
