//! Two fixed parts of the demo region, whatever the number of random youths:
//! the class of 1re B at Lycée Ampère (13 youths with active cards, one of
//! whom has used all its cinema entries: what a collective booking at the
//! cinema shows), and partners' requests for référents (one granted, one
//! waiting).

use chrono::DateTime;
use chrono::Duration;
use chrono::Utc;
use passregion_core::PartnerCategory;
use passregion_core::Public;
use passregion_core::Track;
use passregion_core::season::region_date;

use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::accounts::repo::NewAccount;
use crate::cards::model::OrderDecision;
use crate::cards::model::OrderRequest;
use crate::debits::card::CardRef;
use crate::debits::card::Channel;
use crate::debits::model::DebitRequest;
use crate::demo::DemoStore;
use crate::error::ServiceError;
use crate::establishments::grants::ReferentAction;
use crate::establishments::model::ReferentRequestInput;
use crate::platform::idempotency::Idempotency;
use crate::platform::sql::sha256_hex;

/// The class of 1re B at Lycée Ampère; the last one has no cinema entry left.
pub(crate) const CLASS: [(&str, &str); 13] = [
    ("Adam", "Aubert"),
    ("Alice", "Barbier"),
    ("Axel", "Carré"),
    ("Clara", "Dumas"),
    ("Élise", "Fabre"),
    ("Gabin", "Gauthier"),
    ("Jules", "Hubert"),
    ("Lou", "Lacroix"),
    ("Maël", "Marchand"),
    ("Nina", "Noël"),
    ("Paul", "Perret"),
    ("Rose", "Renaud"),
    ("Sacha", "Vidal"),
];

/// The e-mail of the `k`-th youth of the class (from 1).
pub(crate) fn class_email(k: usize) -> String {
    format!("1reb-{k:02}@demo.passregion.fr")
}

/// Seeds the class of 1re B: orders validated by `staff` (Lycée Ampère),
/// cards activated; `cinema` debits all the cinema entries of the last one.
pub(crate) fn seed_class(
    store: &dyn DemoStore,
    staff: &Principal,
    cinema: Option<&Principal>,
    password_hash: &str,
    now: DateTime<Utc>,
    ago: impl Fn(i64) -> DateTime<Utc>,
) -> Result<(), ServiceError> {
    let today = region_date(now);
    let eid = staff
        .establishment_id
        .clone()
        .ok_or(ServiceError::Forbidden)?;
    for (k, (first, last)) in CLASS.iter().enumerate() {
        let account = store.create_account(NewAccount {
            email: class_email(k + 1),
            password_hash: password_hash.to_owned(),
            role: Role::Youth,
            display_name: format!("{first} {last}"),
            partner_id: None,
            establishment_id: None,
        })?;
        let youth = Principal {
            account_id: account,
            role: Role::Youth,
            partner: None,
            partner_role: None,
            establishment_id: None,
            establishment_role: None,
            region_role: None,
        };
        let order = store.create_order(
            &youth,
            OrderRequest {
                first_name: (*first).to_owned(),
                last_name: (*last).to_owned(),
                birth_date: today - Duration::days(16 * 365 + 20 + 17 * k as i64),
                public: Public::Lyceen,
                track: Some(Track::Premiere),
                disabled: false,
                establishment_id: eid.clone(),
                address: format!("{} rue Ampère", 2 + k),
                postal_code: "69002".into(),
                city: "Lyon".into(),
            },
            ago(60),
        )?;
        store.decide_order(
            staff,
            &order.id,
            OrderDecision {
                validate: true,
                reason: None,
            },
            ago(55),
        )?;
        let card = store.activate_card(&youth, ago(50))?;
        if let (Some(cinema), true) = (cinema, k + 1 == CLASS.len()) {
            // Every cinema entry of the season used.
            let key = format!("demo-1reb-{k}");
            store.debit(
                cinema,
                CardRef::Scanned(crate::debits::qr::ScannedCard {
                    card_version: None,
                    card_id: card.id.clone(),
                    used: None,
                }),
                DebitRequest {
                    card_number: None,
                    birth_date: None,
                    qr: None,
                    avantage: "cinema".into(),
                    price: None,
                    entries: Some(5),
                    scanned_at: None,
                },
                Channel::Qr,
                Idempotency {
                    account_id: cinema.account_id.clone(),
                    request_hash: sha256_hex(key.as_bytes()),
                    key,
                },
                ago(20),
            )?;
        }
    }
    Ok(())
}

/// Partners' requests for référents: the first club's for the first
/// établissement's sport référent, granted; the first bookshop's for the
/// first établissement's culture référent, waiting.
pub(crate) fn seed_referent_requests(
    store: &dyn DemoStore,
    etab_staff: &[Principal],
    partners: &[(Principal, PartnerCategory)],
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let partner = |c: PartnerCategory| partners.iter().find(|(_, cat)| *cat == c).map(|p| &p.0);
    let wanted = [
        (PartnerCategory::ClubSportif, "sport", true),
        (PartnerCategory::Librairie, "culture", false),
    ];
    for (category, theme, grant) in wanted {
        let Some(p) = partner(category) else {
            continue;
        };
        for staff in etab_staff {
            let Some(r) = store
                .own_referents(staff)?
                .into_iter()
                .find(|r| r.theme == theme)
            else {
                continue;
            };
            let q = store.request_referent(
                p,
                &ReferentRequestInput {
                    referent_id: r.id,
                    message: "Bonjour, nous aimerions proposer une découverte à vos élèves.".into(),
                },
                now - Duration::days(3),
            )?;
            if grant {
                store.decide_referent_request(
                    staff,
                    &q.id,
                    ReferentAction::Grant,
                    None,
                    now - Duration::days(2),
                )?;
            }
            break;
        }
    }
    Ok(())
}
