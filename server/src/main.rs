//! `passregion-server`: runs the server, or prints the season's catalogue.

use clap::{Parser, Subcommand};
use passregion_core::{Catalogue, Season};
use passregion_server::config::load_catalogues;
use passregion_server::platform::csv_import::LineError;
use passregion_server::platform::keys;
use passregion_server::platform::progress::Progress;
use passregion_server::{Config, Server};

#[derive(Parser)]
#[command(name = "passregion-server", version, about = "PASS'Région server")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    config: Config,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Prepare a region's installation without the demo: the data directory,
    /// the database, the keys and the first Region administrator, who
    /// chooses a password with the setup link printed here (and mailed).
    Init {
        /// E-mail of the first Region administrator.
        #[arg(long)]
        admin_email: String,
        /// Name shown for the administrator.
        #[arg(long, default_value = "Administration de la Région")]
        admin_name: String,
        /// Move the root key to this path (removable media, then offline),
        /// after signing a 30-day trust list with it (`sign-trust-list`
        /// signs the next ones).
        #[arg(long)]
        root_key_out: Option<std::path::PathBuf>,
    },
    /// Add a new issuer key (a running server publishes it and signs with it
    /// within a minute; older keys stay trusted so printed cards keep
    /// working). With the root key kept offline, sign a new trust list
    /// (`sign-trust-list`) to publish it.
    RotateIssuerKey,
    /// Sign the trust list with the root key kept offline (e.g. on removable
    /// media, plugged in for this command only). A server whose
    /// `DATA_DIR/keys` has no `root.pk8` publishes this list and cannot renew
    /// it by itself: `/health` turns `degraded` when less than 14 days are
    /// left, so sign a new one before then.
    SignTrustList {
        /// The root private key (PKCS#8, the `root.pk8` moved out of `DATA_DIR/keys`).
        #[arg(long)]
        root_key: std::path::PathBuf,
        /// Where to write the signed list (default: `DATA_DIR/keys/trust-list.json`,
        /// where the server reads it; a running server picks it up within a minute).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Days the list stays valid (1 to 365; offline partner apps trust it that long).
        #[arg(long, default_value_t = 30)]
        valid_days: i64,
    },
    /// Import établissements from a CSV file (`uai;nom;type;commune;code_postal`,
    /// the national directory's columns): every line is checked first and
    /// every bad line reported; one bad line imports nothing. Existing UAIs
    /// are updated.
    ImportEstablishments {
        /// The CSV file.
        #[arg(long)]
        file: std::path::PathBuf,
        /// Check and report only.
        #[arg(long)]
        dry_run: bool,
    },
    /// Invite établissement staff from a CSV file (`uai;email;nom;role`,
    /// role `chef` or `personnel`): every line is checked first and every
    /// bad line reported; one bad line invites nobody. Each person gets a
    /// link by e-mail (7 days, once).
    ImportStaff {
        /// The CSV file.
        #[arg(long)]
        file: std::path::PathBuf,
        /// Check and report only.
        #[arg(long)]
        dry_run: bool,
    },
    /// Import the partners of a previous system from a CSV file
    /// (`siret;raison_sociale;categorie;email;responsable;telephone;adresse;
    /// code_postal;commune;iban;bic;debut_convention;fin_convention`,
    /// optionally `latitude;longitude`): every line is checked with the
    /// online application's rules and every bad line reported; one bad line
    /// imports nothing. The partners are validated, their convention
    /// (signed outside the platform) in force from the given dates, and
    /// each manager gets a link by e-mail (7 days, once).
    ImportPartners {
        /// The CSV file.
        #[arg(long)]
        file: std::path::PathBuf,
        /// Check and report only.
        #[arg(long)]
        dry_run: bool,
    },
    /// Import the cards of a previous system with their balances left, for
    /// the current season (`email;nom;prenom;date_naissance;uai;public;
    /// classe;handicap;adresse;code_postal;commune;ancien_numero` and one
    /// `avantage:CODE` column per avantage): every line is checked first
    /// and every bad line reported; one bad line imports nothing. Each card
    /// gets a new number and its balances as opening rows of the ledger;
    /// each youth gets a link by e-mail. Running the same file again skips
    /// the cards already imported.
    ImportCards {
        /// The CSV file.
        #[arg(long)]
        file: std::path::PathBuf,
        /// Check and report only.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the current season and its catalogue of avantages (or check a catalogue file).
    Catalogue {
        /// Season to print (default: the current one).
        #[arg(long)]
        season: Option<Season>,
        /// A catalogue file to validate and print instead of the built-in one.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
    /// Print the OpenAPI document (JSON) to stdout, as served at `/api/openapi.json`.
    Openapi,
    /// Copy the database to a file while the server runs (SQLite online
    /// backup: a consistent snapshot). The keys (`DATA_DIR/keys`) are saved
    /// apart.
    Backup {
        /// The backup file to write.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Replace the database with a backup (stop the server first).
    Restore {
        /// The backup file to read.
        #[arg(long)]
        from: std::path::PathBuf,
    },
}

/// `RUST_LOG` (default `info`), with the PostgreSQL driver capped whatever
/// it says: at debug level `tokio_postgres` logs every statement's
/// parameters, i.e. birth dates, card numbers and e-mails (docs/security.md),
/// and `postgres` logs the server's NOTICEs (`… already exists, skipping`).
fn log_filter() -> tracing_subscriber::EnvFilter {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,tower_http=warn".into());
    ["tokio_postgres=info", "postgres=warn"]
        .into_iter()
        .filter_map(|d| d.parse().ok())
        .fold(filter, tracing_subscriber::EnvFilter::add_directive)
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(log_filter())
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Some(Command::Catalogue { season, file }) => print_catalogue(season, file),
        #[allow(clippy::print_stdout)]
        Some(Command::ImportStaff { file, dry_run }) => read_file(&file)
            .and_then(|text| {
                let bar = Progress::new("invitation(s)");
                passregion_server::setup::import_staff(&cli.config, &text, dry_run, &|d, t| {
                    bar.update(d, t)
                })
            })
            .and_then(|r| match r {
                Ok((n, _)) if dry_run => {
                    println!("Fichier valide : {n} personne(s) à inviter (rien n'a été écrit).");
                    Ok(())
                }
                Ok((n, refused)) => {
                    println!("{n} invitation(s) envoyée(s).");
                    print_refused(&refused);
                    Ok(())
                }
                Err(errors) => Err(line_errors(&errors, "personne n'a été invité")),
            }),
        #[allow(clippy::print_stdout)]
        Some(Command::ImportPartners { file, dry_run }) => read_file(&file)
            .and_then(|text| {
                let bar = Progress::new("invitation(s)");
                passregion_server::setup::import_partners(&cli.config, &text, dry_run, &|d, t| {
                    bar.update(d, t)
                })
            })
            .and_then(|r| match r {
                Ok((n, _)) if dry_run => {
                    println!("Fichier valide : {n} partenaire(s) à importer (rien n'a été écrit).");
                    Ok(())
                }
                Ok((n, refused)) => {
                    println!("{n} partenaire(s) importé(s), convention en vigueur ; responsables invités.");
                    print_refused(&refused);
                    Ok(())
                }
                Err(errors) => Err(line_errors(&errors, "rien n'a été importé")),
            }),
        #[allow(clippy::print_stdout)]
        Some(Command::ImportCards { file, dry_run }) => read_file(&file)
            .and_then(|text| {
                let bar = Progress::new("carte(s)");
                passregion_server::setup::import_cards(&cli.config, &text, dry_run, &|d, t| {
                    bar.update(d, t)
                })
            })
            .and_then(|r| match r {
                Ok((n, skipped)) if dry_run => {
                    println!("Fichier valide : {n} carte(s) à importer, {skipped} déjà importée(s) (rien n'a été écrit).");
                    Ok(())
                }
                Ok((n, skipped)) => {
                    println!("{n} carte(s) créée(s), {skipped} déjà importée(s).");
                    Ok(())
                }
                Err(errors) => Err(line_errors(&errors, "rien n'a été importé")),
            }),
        #[allow(clippy::print_stdout)]
        Some(Command::ImportEstablishments { file, dry_run }) => read_file(&file)
            .and_then(|text| passregion_server::setup::import_establishments(&cli.config, &text, dry_run))
            .and_then(|r| match r {
                Ok((added, _)) if dry_run => {
                    println!("Fichier valide : {added} établissement(s) à importer (rien n'a été écrit).");
                    Ok(())
                }
                Ok((added, updated)) => {
                    println!("{added} établissement(s) ajouté(s), {updated} mis à jour.");
                    Ok(())
                }
                Err(errors) => Err(line_errors(&errors, "rien n'a été importé")),
            }),
        #[allow(clippy::print_stdout)]
        Some(Command::Init {
            admin_email,
            admin_name,
            root_key_out,
        }) => passregion_server::setup::init(
            &cli.config,
            &admin_email,
            &admin_name,
            root_key_out.as_deref(),
            chrono::Utc::now(),
        )
        .map(|r| {
            println!("Installation prête dans {}", cli.config.data_dir.display());
            println!("Lien de création du mot de passe de l'administrateur (72 h, une fois) :");
            println!("  {}", r.setup_link);
            if let Some(p) = r.root_key_moved_to {
                println!(
                    "Clé racine déplacée vers {} : mettez-la hors ligne (sign-trust-list signera les prochaines listes).",
                    p.display()
                );
            }
        }),
        Some(Command::RotateIssuerKey) => {
            keys::ServerKeys::rotate_issuer(&cli.config.data_dir, chrono::Utc::now()).map(|path| {
                eprintln!("nouvelle clé d'émission : {}", path.display());
                let root = cli.config.data_dir.join("keys").join(keys::ROOT_KEY_FILE);
                if !root.exists() {
                    eprintln!(
                        "clé racine hors ligne : signez une nouvelle liste de confiance \
                         (sign-trust-list) pour publier cette clé"
                    );
                }
            })
        }
        Some(Command::SignTrustList {
            root_key,
            out,
            valid_days,
        }) => {
            let out = out.unwrap_or_else(|| {
                cli.config
                    .data_dir
                    .join("keys")
                    .join(keys::SIGNED_LIST_FILE)
            });
            keys::ServerKeys::sign_trust_list(
                &cli.config.data_dir,
                &root_key,
                &out,
                chrono::Utc::now(),
                chrono::Duration::days(valid_days),
            )
            .map(|list| {
                eprintln!(
                    "liste de confiance signée : {} (version {}, {} clé(s), valable jusqu'au {})",
                    out.display(),
                    list.version,
                    list.keys.len(),
                    list.expires_at.format("%d/%m/%Y %H:%M UTC")
                );
            })
        }
        #[allow(clippy::print_stdout)]
        Some(Command::Openapi) => passregion_server::router::openapi_document()
            .to_pretty_json()
            .map(|json| println!("{json}"))
            .map_err(Into::into),
        Some(Command::Backup { out }) if let Some(url) = &cli.config.database_url => {
            passregion_server::platform::backup_pg::backup(url, &out)
                .map(|()| eprintln!("sauvegarde PostgreSQL écrite : {}", out.display()))
        }
        Some(Command::Restore { from }) if let Some(url) = &cli.config.database_url => {
            passregion_server::platform::backup_pg::restore(url, &from)
                .map(|()| eprintln!("base PostgreSQL restaurée depuis {}", from.display()))
        }
        Some(Command::Backup { out }) => passregion_server::platform::backup::backup(
            &cli.config.data_dir.join("passregion.db"),
            &out,
        )
        .map(|()| eprintln!("sauvegarde écrite : {}", out.display())),
        Some(Command::Restore { from }) => {
            passregion_server::platform::private_dir(&cli.config.data_dir)
                .map_err(anyhow::Error::from)
                .and_then(|()| {
                    passregion_server::platform::backup::restore(
                        &from,
                        &cli.config.data_dir.join("passregion.db"),
                    )
                })
                .map(|()| eprintln!("base restaurée depuis {}", from.display()))
        }
        None | Some(Command::Serve) => serve(cli.config),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("erreur : {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn read_file(file: &std::path::Path) -> anyhow::Result<String> {
    std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
}

/// Reports every bad line of a file; the command's error.
fn line_errors(errors: &[LineError], nothing: &str) -> anyhow::Error {
    for e in errors {
        eprintln!("ligne {} : {}", e.line, e.message);
    }
    anyhow::anyhow!("{} ligne(s) en erreur : {nothing}", errors.len())
}

fn print_refused(refused: &[String]) {
    for r in refused {
        eprintln!("refusé, {r}");
    }
}

#[allow(clippy::print_stdout)]
fn print_catalogue(season: Option<Season>, file: Option<std::path::PathBuf>) -> anyhow::Result<()> {
    let cat = match file {
        Some(f) => {
            let text = std::fs::read_to_string(&f)?;
            Catalogue::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?
        }
        None => {
            let season = season.unwrap_or_else(|| Season::of_instant(chrono::Utc::now()));
            load_catalogues(&[])?
                .get(season)
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("aucun catalogue pour la saison {season}"))?
        }
    };
    println!(
        "Saison en cours : {} (du {} au {})",
        cat.season,
        cat.season.first_day().format("%d/%m/%Y"),
        cat.season.last_day().format("%d/%m/%Y")
    );
    print!("{cat}");
    Ok(())
}

#[allow(clippy::print_stdout)]
fn serve(config: Config) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let (server, demo) = Server::build(config.clone()).await?;
        let base = format!("http://{}", server.addr);
        println!("PASS'Région — serveur prêt sur {base}");
        println!("  API : {base}/api/openapi.json   santé : {base}/health");
        if config.web_dir.is_some() {
            println!("  Application jeune : {base}/#/jeune   Application partenaire : {base}/#/partenaire");
        }
        if let Some(d) = demo {
            let state = if d.created { "créées" } else { "déjà présentes" };
            println!("  Données de démonstration {state}. Mot de passe de tous les comptes : {}", passregion_server::demo::DEMO_PASSWORD);
            for (role, email) in &d.logins {
                println!("    {role:<40} {email}");
            }
            println!(
                "  E-mails envoyés (liens de confirmation) : {}",
                config.data_dir.join("mail-outbox").display()
            );
            if let Some((number, birth)) = d.featured_card {
                println!("  Carte de Léa pour le débit web : {number} (née le {})", birth.format("%d/%m/%Y"));
            }
        }
        server.run(shutdown_signal()).await
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("arrêt demandé : fin des requêtes en cours");
}
