//! `passregion-qr`: make keys and trust lists, encode card QR codes to PNG/SVG,
//! decode images, verify texts. See `docs/qr-cli.md`.
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Duration, Utc};
use clap::{Parser, Subcommand, ValueEnum};
use passregion_core::credential::{
    CardQr, DenyList, IssuerKey, MemoryReplayState, PublicKey, RootKey, SignedTrustList,
    SoftwareDeviceKey, TrustList, TrustedKey, verify,
};
use passregion_core::qr::{QrUse, render_png, render_svg, scan_luma};
use passregion_core::{FixedClock, Season};
use uuid::Uuid;

#[derive(Parser)]
#[command(
    name = "passregion-qr",
    version,
    about = "PASS'Région QR codes and credentials"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Role {
    Root,
    Issuer,
    Device,
}

#[derive(Clone, Copy, ValueEnum)]
enum Usage {
    /// Printed card (error correction Q).
    Card,
    /// Phone screen (error correction M).
    Phone,
}

#[derive(Subcommand)]
enum Command {
    /// Generate an Ed25519 key (PKCS#8 file) and print its kid and public key.
    Keygen {
        #[arg(long, value_enum)]
        role: Role,
        /// Output PKCS#8 file (refuses to overwrite).
        #[arg(long)]
        out: PathBuf,
    },
    /// Sign a trust list of issuer keys with the root key.
    TrustList {
        /// Root key (PKCS#8).
        #[arg(long)]
        root: PathBuf,
        /// Issuer keys (PKCS#8), repeatable.
        #[arg(long = "issuer", required = true)]
        issuers: Vec<PathBuf>,
        /// Version number (must grow at each publication).
        #[arg(long)]
        version: u64,
        /// Issuer keys valid from (RFC 3339; default now).
        #[arg(long)]
        not_before: Option<DateTime<Utc>>,
        /// Issuer keys valid until (RFC 3339).
        #[arg(long)]
        not_after: DateTime<Utc>,
        /// Days before the list is stale.
        #[arg(long, default_value_t = 7)]
        expires_in_days: i64,
        /// Output JSON file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Sign a static card QR and render it (PNG or SVG, by the file extension).
    Encode {
        /// Issuer key (PKCS#8).
        #[arg(long)]
        key: PathBuf,
        /// Card id (UUID).
        #[arg(long)]
        card_id: Uuid,
        /// Card version.
        #[arg(long, default_value_t = 1)]
        card_version: u32,
        /// Season, e.g. 2026-2027.
        #[arg(long)]
        season: Season,
        /// Output file: .png or .svg.
        #[arg(long)]
        out: PathBuf,
        /// Pixels per module (PNG).
        #[arg(long, default_value_t = 8)]
        module_px: u32,
    },
    /// Render any text as a QR code (PNG or SVG, by the file extension).
    Render {
        /// The text (e.g. a PR1:/PD1: code).
        text: String,
        #[arg(long, value_enum, default_value = "card")]
        usage: Usage,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 8)]
        module_px: u32,
    },
    /// Decode the QR codes in a PNG image; prints one text per line.
    Decode { image: PathBuf },
    /// Verify a text against a signed trust list; prints the verdict as JSON
    /// (exit code 1 if rejected).
    Verify {
        /// The scanned text.
        text: String,
        /// Signed trust list (JSON).
        #[arg(long)]
        trust_list: PathBuf,
        /// Root public key (base64url).
        #[arg(long)]
        root_public_key: String,
        /// Deny list (JSON: {"cards": [...], "credentials": [...]}).
        #[arg(long)]
        deny_list: Option<PathBuf>,
        /// Validation instant (RFC 3339; default now).
        #[arg(long)]
        now: Option<DateTime<Utc>>,
    },
}

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("cannot write {0}: {1}")]
    Write(PathBuf, std::io::Error),
    #[error("{0} already exists; not overwriting a key")]
    Exists(PathBuf),
    #[error("{0}: {1}")]
    Key(PathBuf, passregion_core::credential::KeyError),
    #[error("trust list {0}: {1}")]
    Trust(PathBuf, passregion_core::credential::TrustListError),
    #[error("deny list {0} is not valid JSON: {1}")]
    Deny(PathBuf, serde_json::Error),
    #[error("root public key: {0}")]
    RootKey(passregion_core::credential::KeyError),
    #[error("cannot sign: {0}")]
    Credential(#[from] passregion_core::credential::CredentialError),
    #[error("cannot render: {0}")]
    Render(#[from] passregion_core::qr::RenderError),
    #[error("output file must end in .png or .svg: {0}")]
    Format(PathBuf),
    #[error("{0} is not a readable PNG image: {1}")]
    Image(PathBuf, image::ImageError),
    #[error("cannot scan: {0}")]
    Scan(#[from] passregion_core::qr::ScanError),
    #[error("no QR code found in {0}")]
    NotFound(PathBuf),
    #[error("no secure random source")]
    Random,
    #[error("rejected: {0:?} ({0})")]
    Rejected(passregion_core::credential::Reason),
}

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::Read(path.to_owned(), e))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    std::fs::write(path, bytes).map_err(|e| CliError::Write(path.to_owned(), e))
}

/// Writes a private key: new file only, readable by its owner only.
fn write_secret(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    opts.open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| CliError::Write(path.to_owned(), e))
}

fn write_qr(text: &str, usage: QrUse, out: &Path, module_px: u32) -> Result<(), CliError> {
    match out.extension().and_then(|e| e.to_str()) {
        Some("png") => write(out, &render_png(text, usage, module_px)?),
        Some("svg") => write(out, render_svg(text, usage, 256)?.as_bytes()),
        _ => Err(CliError::Format(out.to_owned())),
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Keygen { role, out } => {
            if out.exists() {
                return Err(CliError::Exists(out));
            }
            let rng = ring::rand::SystemRandom::new();
            let (pkcs8, public) = match role {
                Role::Root => {
                    let k = RootKey::generate(&rng).map_err(|_| CliError::Random)?;
                    (k.to_pkcs8().to_vec(), k.public_key())
                }
                Role::Issuer => {
                    let k = IssuerKey::generate(&rng).map_err(|_| CliError::Random)?;
                    (k.to_pkcs8().to_vec(), k.public_key())
                }
                Role::Device => {
                    let k = SoftwareDeviceKey::generate(&rng).map_err(|_| CliError::Random)?;
                    (k.to_pkcs8().to_vec(), k.public_key())
                }
            };
            write_secret(&out, &pkcs8)?;
            println!("kid {}\npublic key {}", public.kid(), public.to_base64());
        }
        Command::TrustList {
            root,
            issuers,
            version,
            not_before,
            not_after,
            expires_in_days,
            out,
        } => {
            let root_key =
                RootKey::from_pkcs8(&read(&root)?).map_err(|e| CliError::Key(root, e))?;
            let now = Utc::now();
            let mut keys = Vec::new();
            for path in issuers {
                let k = IssuerKey::from_pkcs8(&read(&path)?).map_err(|e| CliError::Key(path, e))?;
                keys.push(TrustedKey::for_issuer(
                    &k,
                    not_before.unwrap_or(now),
                    not_after,
                ));
            }
            let list = TrustList {
                version,
                issued_at: now,
                expires_at: now + Duration::days(expires_in_days),
                keys,
            };
            let signed = list
                .sign(&root_key)
                .map_err(|e| CliError::Trust(out.clone(), e))?;
            write(&out, signed.to_json().as_bytes())?;
            println!("root public key {}", root_key.public_key().to_base64());
        }
        Command::Encode {
            key,
            card_id,
            card_version,
            season,
            out,
            module_px,
        } => {
            let issuer = IssuerKey::from_pkcs8(&read(&key)?).map_err(|e| CliError::Key(key, e))?;
            let text = CardQr {
                card_id,
                card_version,
                season,
            }
            .sign(&issuer)?;
            write_qr(&text, QrUse::PrintedCard, &out, module_px)?;
            println!("{text}");
        }
        Command::Render {
            text,
            usage,
            out,
            module_px,
        } => {
            let usage = match usage {
                Usage::Card => QrUse::PrintedCard,
                Usage::Phone => QrUse::PhoneScreen,
            };
            write_qr(&text, usage, &out, module_px)?;
        }
        Command::Decode { image: path } => {
            let img = image::load_from_memory(&read(&path)?)
                .map_err(|e| CliError::Image(path.clone(), e))?
                .to_luma8();
            let (w, h) = img.dimensions();
            let texts = scan_luma(img.as_raw(), w, h)?;
            if texts.is_empty() {
                return Err(CliError::NotFound(path));
            }
            for t in texts {
                println!("{t}");
            }
        }
        Command::Verify {
            text,
            trust_list,
            root_public_key,
            deny_list,
            now,
        } => {
            let root = PublicKey::from_base64(&root_public_key).map_err(CliError::RootKey)?;
            let raw = String::from_utf8_lossy(&read(&trust_list)?).into_owned();
            let trust = SignedTrustList::from_json(&raw)
                .and_then(|s| s.verify(&root, 0))
                .map_err(|e| CliError::Trust(trust_list, e))?;
            let deny = match deny_list {
                Some(p) => serde_json::from_slice(&read(&p)?).map_err(|e| CliError::Deny(p, e))?,
                None => DenyList::new(),
            };
            let clock = FixedClock::new(now.unwrap_or_else(Utc::now));
            let mut replay = MemoryReplayState::new();
            let verified = verify(text.trim(), &trust, &deny, &mut replay, &clock)
                .map_err(CliError::Rejected)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&verified).unwrap_or_default()
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("passregion-qr: {e}");
            ExitCode::FAILURE
        }
    }
}
