//! The statistics as one CSV: `;`-separated, UTF-8 with a BOM, French
//! headers; one line per figure (`Section;Clé;Libellé;Mesure;Valeur`) so
//! that a spreadsheet can filter it. Text from outside (names, labels) is
//! defused: a cell starting like a formula gets a leading `'`.

use crate::platform::spreadsheet::cell;
use passregion_core::SignedMoney;
use passregion_core::api::stats::{CardCount, RegionStats, Spend};

use crate::error::ServiceError;

/// An amount for a French spreadsheet (`-12,50`): written by us, not defused.
fn fr(m: SignedMoney) -> String {
    m.to_string().replace('.', ",")
}

struct Out {
    rows: Vec<[String; 5]>,
}

impl Out {
    fn push(&mut self, section: &str, key: &str, label: &str, measure: &str, value: String) {
        self.rows.push([
            section.to_owned(),
            cell(key),
            cell(label),
            measure.to_owned(),
            value,
        ]);
    }

    fn counts(&mut self, section: &str, rows: &[CardCount]) {
        for r in rows {
            self.push(
                section,
                &r.key,
                &r.label,
                "Commandes",
                r.ordered.to_string(),
            );
            self.push(
                section,
                &r.key,
                &r.label,
                "Commandes validées",
                r.validated.to_string(),
            );
            self.push(section, &r.key, &r.label, "Cartes", r.cards.to_string());
            self.push(
                section,
                &r.key,
                &r.label,
                "Cartes actives",
                r.active.to_string(),
            );
        }
    }

    fn spend(&mut self, section: &str, rows: &[Spend]) {
        for r in rows {
            self.push(section, &r.key, &r.label, "Débits", r.debits.to_string());
            self.push(
                section,
                &r.key,
                &r.label,
                "Remboursements",
                r.refunds.to_string(),
            );
            self.push(section, &r.key, &r.label, "Montant net (€)", fr(r.net));
        }
    }
}

/// The document as CSV bytes.
pub fn csv(s: &RegionStats) -> Result<Vec<u8>, ServiceError> {
    let mut o = Out { rows: Vec::new() };
    o.counts("Total", std::slice::from_ref(&s.cards));
    o.counts("Public", &s.by_public);
    o.counts("Filière", &s.by_track);
    o.counts("Département", &s.by_departement);
    o.counts("Établissement", &s.by_establishment);
    for u in &s.uptake {
        o.push(
            "Utilisation",
            &u.avantage,
            &u.label,
            "Cartes utilisées",
            u.used.to_string(),
        );
        o.push(
            "Utilisation",
            &u.avantage,
            &u.label,
            "Part (%)",
            u.percent.replace('.', ","),
        );
    }
    o.spend("Dépense par avantage", &s.spend_by_avantage);
    o.spend("Dépense par catégorie", &s.spend_by_category);
    for m in &s.monthly_by_avantage {
        o.push(
            "Mois et avantage",
            &m.key,
            &m.month,
            "Montant net (€)",
            fr(m.net),
        );
    }
    for m in &s.monthly_by_category {
        o.push(
            "Mois et catégorie",
            &m.key,
            &m.month,
            "Montant net (€)",
            fr(m.net),
        );
    }
    o.spend("Canal", &s.channels.by_channel);
    let off = s.channels.offline_percent.replace('.', ",");
    o.push(
        "Hors ligne",
        "offline",
        "Débits hors ligne",
        "Part (%)",
        off,
    );
    o.push(
        "Signalements",
        "flags",
        "Signalements",
        "Nombre",
        s.flags.flags.to_string(),
    );
    o.push(
        "Signalements",
        "cards",
        "Cartes signalées",
        "Nombre",
        s.flags.cards.to_string(),
    );
    let carried = fr(SignedMoney::from_cents(s.flags.amount.cents())?);
    o.push(
        "Signalements",
        "amount",
        "Montant porté par la Région",
        "Montant (€)",
        carried,
    );
    for p in &s.top_partners {
        o.push(
            "Meilleurs partenaires",
            &p.partner_id,
            &p.name,
            "Débits",
            p.debits.to_string(),
        );
        o.push(
            "Meilleurs partenaires",
            &p.partner_id,
            &p.name,
            "Montant net (€)",
            fr(p.net),
        );
    }
    for b in &s.bons_plans {
        let v = b.validated.to_string();
        o.push(
            "Bons plans",
            &b.partner_id,
            &b.name,
            "Bons plans validés",
            v,
        );
    }
    let mut w = ::csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let err = |e: ::csv::Error| ServiceError::Internal(format!("csv: {e}"));
    w.write_record(["Section", "Clé", "Libellé", "Mesure", "Valeur"])
        .map_err(err)?;
    for r in &o.rows {
        w.write_record(r).map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| ServiceError::Internal(format!("csv: {e}")))
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formula_cells_are_defused() {
        assert_eq!(cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(cell("+33"), "'+33");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("@x"), "'@x");
        assert_eq!(cell("Cinéma"), "Cinéma");
    }
}
