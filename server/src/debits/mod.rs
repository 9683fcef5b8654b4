//! Debits: inspect a card, debit it (QR or number + birth date), refund, and the append-only ledger they write.

pub mod card;
pub mod error;
pub(crate) mod flow;
pub mod http;
pub mod ledger;
pub mod ledger_pg;
pub mod lookup;
pub(crate) mod lookup_pg;
pub mod model;
pub mod qr;
pub mod refund;
pub(crate) mod refund_pg;
pub mod repo;
pub mod repo_pg;
pub mod service;
pub mod transactions;

/// The text of a debit's e-mail receipt to the youth.
pub(crate) fn receipt_text(t: &crate::debits::model::Transaction, balance: &str) -> String {
    let label = &t.avantage_label;
    let unit = |v: &str| match t.unit_kind {
        passregion_core::debit::AvantageKind::Entries => format!("{v} entrée(s)"),
        passregion_core::debit::AvantageKind::Credit => format!("{} €", v.replace('.', ",")),
    };
    format!(
        "Bonjour,\n\n{partner} a débité votre PASS'Région le {date} : {debited} sur « {label} » pour un achat de {price}. Reste à payer : {reste}.\nIl vous reste {left} sur cet avantage.\n\nSi vous ne reconnaissez pas cet achat, contactez l'assistance PASS'Région.",
        partner = t.partner_name,
        date = t
            .created_at
            .with_timezone(&passregion_core::season::REGION_TZ)
            .format("%d/%m/%Y à %H:%M"),
        debited = unit(&t.debited),
        price = unit(&t.price),
        reste = unit(&t.reste_a_payer),
        left = unit(balance),
    )
}
