//! The help screen's content: the FAQ (the Region's file, `--faq`, or the
//! shipped one), the support phone number and hours (FAQ §17), the
//! accessibility statement and the server's version.

pub mod http;

use passregion_core::api::HelpInfo;
use passregion_core::help::{DEFAULT_FAQ, parse_faq};

/// The accessibility statement shown in both apps.
pub const ACCESSIBILITY: &str = "Les applications PASS'Région visent la conformité au référentiel général d'amélioration de l'accessibilité (RGAA) : contrastes, navigation au clavier, libellés des champs, textes alternatifs, tailles de texte adaptables. Chaque écran est vérifié automatiquement (axe-core) à chaque version. Si vous rencontrez une difficulté d'accès, contactez l'assistance : nous vous répondrons et vous proposerons une alternative.";

/// Builds the help content at start: a FAQ file that cannot be read or
/// holds no question stops the server with a clear message.
pub fn load(
    faq: Option<&std::path::Path>,
    support_phone: &str,
    support_hours: &str,
) -> anyhow::Result<HelpInfo> {
    let text = match faq {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read the FAQ {}: {e}", path.display()))?,
        None => DEFAULT_FAQ.to_owned(),
    };
    let faq = parse_faq(&text);
    if faq.is_empty() {
        anyhow::bail!("the FAQ file holds no numbered question (\"1. …?\")");
    }
    Ok(HelpInfo {
        faq,
        support_phone: support_phone.trim().to_owned(),
        support_hours: support_hours.trim().to_owned(),
        accessibility: ACCESSIBILITY.to_owned(),
        server_version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}
