//! The demo region: établissements, youths, partners, bons plans and some
//! history; a class to book for and référent requests (`class.rs`).

use chrono::DateTime;
use chrono::Duration;
use chrono::NaiveDate;
use chrono::Utc;
use passregion_core::Money;
use passregion_core::PartnerCategory;
use passregion_core::Public;
use passregion_core::Track;
use passregion_core::season::region_date;
use rand::Rng;
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::accounts::repo::NewAccount;
use crate::bons_plans::model::BonPlanRequest;
use crate::bons_plans::model::ModerationRequest;
use crate::cards::model::OrderDecision;
use crate::cards::model::OrderRequest;
use crate::debits::card::CardRef;
use crate::debits::card::Channel;
use crate::debits::model::DebitRequest;
use crate::demo::data::CITIES;
use crate::demo::data::ESTABLISHMENTS;
use crate::demo::data::FIRST_NAMES;
use crate::demo::data::LAST_NAMES;
use crate::demo::data::PARTNER_NAMES;
pub(crate) use crate::demo::repo::DemoRepo;
pub use crate::demo::repo::DemoSummary;
use crate::demo::repo::{DemoCandidate, DemoPartner};

/// A storage engine the demo is seeded on.
pub(crate) trait DemoStore: crate::state::Storage + DemoRepo {}

impl<T: crate::state::Storage + DemoRepo> DemoStore for T {}
use crate::error::ServiceError;
use crate::platform::idempotency::Idempotency;
use crate::platform::sql::sha256_hex;

mod class;
mod data;
pub mod desk_class;
mod region_staff;
pub mod repo;
mod repo_pg;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "demo1234";

/// The featured youth of the demo (the README's login): her card keeps its
/// whole credit (the seeded history is on the other cards).
pub const FEATURED_YOUTH: &str = "lea@demo.passregion.fr";

pub(crate) fn principal(account_id: &str, role: Role) -> Principal {
    Principal {
        account_id: account_id.to_owned(),
        role,
        partner: None,
        partner_role: None,
        establishment_id: None,
        establishment_role: None,
        region_role: None,
    }
}

/// Whether the database has no account yet.
pub(crate) fn is_empty(store: &dyn DemoStore) -> Result<bool, ServiceError> {
    store.demo_is_empty()
}

/// Seeds the demo region when the database is empty.
/// Instances started together on one database seed it once (the check and
/// the seeding under `DemoRepo::with_seed_lock`); the others find it seeded.
pub(crate) fn seed(
    store: &dyn DemoStore,
    youths: usize,
    now: DateTime<Utc>,
) -> Result<Option<DemoSummary>, ServiceError> {
    store.with_seed_lock(&mut || {
        if !is_empty(store)? {
            return existing_summary(store).map(Some);
        }
        seed_empty(store, youths, now).map(Some)
    })
}

/// Seeds an empty database.
fn seed_empty(
    store: &dyn DemoStore,
    youths: usize,
    now: DateTime<Utc>,
) -> Result<DemoSummary, ServiceError> {
    let mut rng = StdRng::seed_from_u64(2017);
    let hash = crate::accounts::password::hash_password(DEMO_PASSWORD)
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let mut logins = Vec::new();
    let today = region_date(now);
    // Demo history stays within the current season.
    let days_in = (today - passregion_core::Season::of_date(today).first_day()).num_days();
    let ago = |d: i64| now - Duration::days(d.min(days_in));

    // Établissements and their staff.
    store.demo_insert_establishments(ESTABLISHMENTS)?;
    let mut etab_staff = Vec::new();
    for (id, name, _, _, _) in ESTABLISHMENTS {
        let email = format!("{}@demo.passregion.fr", id.trim_start_matches("etab-"));
        let account = store.create_account(NewAccount {
            email: email.clone(),
            password_hash: hash.clone(),
            role: Role::Establishment,
            display_name: format!("Secrétariat — {name}"),
            partner_id: None,
            establishment_id: Some((*id).to_owned()),
        })?;
        etab_staff.push(Principal {
            establishment_id: Some((*id).to_owned()),
            establishment_role: Some(passregion_core::status::EstablishmentRole::Head),
            ..principal(&account, Role::Establishment)
        });
        if etab_staff.len() == 1 {
            logins.push(("Établissement".to_owned(), email));
        }
    }
    logins.extend(region_staff::seed(store, &hash)?);

    // Partners, their staff and their bons plans.
    let mut partners: Vec<(Principal, PartnerCategory)> = Vec::new();
    let mut seq = 0;
    for (category, names) in PARTNER_NAMES {
        for (i, name) in names.iter().enumerate() {
            seq += 1;
            let (city, cp, lat, lon) = CITIES[(seq * 7 + i) % CITIES.len()];
            let lat = lat + rng.random_range(-0.03..0.03);
            let lon = lon + rng.random_range(-0.04..0.04);
            let pid = format!("partner-{seq:03}");
            let street = format!(
                "{} rue {}",
                rng.random_range(1..120),
                [
                    "de la République",
                    "Victor-Hugo",
                    "des Arts",
                    "du Lycée",
                    "Pasteur"
                ][seq % 5]
            );
            store.demo_insert_partner(DemoPartner {
                id: pid.clone(),
                name: (*name).to_owned(),
                category: category.code().to_owned(),
                address: street,
                city: city.to_owned(),
                postal_code: cp.to_owned(),
                latitude: lat,
                longitude: lon,
                signed_at: now - Duration::days(200),
            })?;
            let email = if i == 0 {
                format!("{}@demo.passregion.fr", category.code().replace('_', "-"))
            } else {
                format!(
                    "{}-{}@demo.passregion.fr",
                    category.code().replace('_', "-"),
                    i + 1
                )
            };
            let account = store.create_account(NewAccount {
                email: email.clone(),
                password_hash: hash.clone(),
                role: Role::Partner,
                display_name: format!("Accueil — {name}"),
                partner_id: Some(pid.clone()),
                establishment_id: None,
            })?;
            if i == 0 {
                logins.push((format!("Partenaire ({})", category.label_fr()), email));
            }
            let p = Principal {
                partner: Some((pid.clone(), *category, true)),
                partner_role: Some(passregion_core::status::PartnerRole::Manager),
                ..principal(&account, Role::Partner)
            };
            for (k, (title, text)) in bons_plans_for(*category, name).into_iter().enumerate() {
                let plan = store.submit_bon_plan(
                    &p,
                    BonPlanRequest {
                        title,
                        description: text,
                        valid_until: Some(passregion_core::Season::of_date(today).last_day()),
                    },
                    ago(30 - k as i64),
                )?;
                if !(seq % 6 == 0 && k == 1) {
                    store.moderate_bon_plan(
                        &plan.id,
                        ModerationRequest {
                            validate: true,
                            reason: None,
                        },
                    )?;
                }
            }
            partners.push((p, *category));
        }
    }

    // A structure that applied online and signed its convention: waiting for
    // the Region's decision. And the établissements' thematic referents.
    {
        use crate::establishments::model::Referent;
        let email = "candidature@demo.passregion.fr".to_owned();
        store.demo_insert_candidate(DemoCandidate {
            partner_id: crate::platform::sql::new_id(),
            account_id: crate::platform::sql::new_id(),
            email: email.clone(),
            password_hash: hash.clone(),
            applied_at: ago(3),
            signed_at: now,
        })?;
        logins.push(("Partenaire candidat (convention signée)".to_owned(), email));
        for (staff, (theme, name)) in etab_staff.iter().zip([
            ("culture", "Mme Perrin"),
            ("sport", "M. Lambert"),
            ("sante", "Mme Colin"),
            ("administratif", "M. Roche"),
            ("culture", "Mme Faure"),
        ]) {
            store.add_referent(
                staff,
                &Referent {
                    id: String::new(),
                    establishment_id: String::new(),
                    establishment_name: String::new(),
                    theme: theme.into(),
                    name: name.into(),
                    email: format!(
                        "{}@etab.demo.passregion.fr",
                        name.to_lowercase().replace(['.', ' '], "")
                    ),
                    phone: None,
                },
                now,
            )?;
        }
    }

    // Youths: orders, validations, activations.
    let mut featured = None;
    for n in 0..youths {
        let first = FIRST_NAMES[n % FIRST_NAMES.len()];
        let last = LAST_NAMES[(n * 7 + n / 3) % LAST_NAMES.len()];
        let email = if n == 0 {
            FEATURED_YOUTH.to_owned()
        } else {
            format!("jeune{n:03}@demo.passregion.fr")
        };
        let account = store.create_account(NewAccount {
            email: email.clone(),
            password_hash: hash.clone(),
            role: Role::Youth,
            display_name: format!("{first} {last}"),
            partner_id: None,
            establishment_id: None,
        })?;
        let etab_index = if n == 0 {
            0
        } else {
            rng.random_range(0..ESTABLISHMENTS.len())
        };
        let (eid, _, kind, city, cp) = ESTABLISHMENTS[etab_index];
        let (public, track) = match kind {
            "lycee" if etab_index == 3 => {
                (Public::Lyceen, Some([Track::Cap, Track::BacPro][n % 2]))
            }
            "lycee" => (
                Public::Lyceen,
                Some([Track::Seconde, Track::Premiere, Track::Terminale][n % 3]),
            ),
            "cfa" => (
                Public::Apprenti,
                Some([Track::Cap, Track::BacPro, Track::Bp][n % 3]),
            ),
            "mission_locale" => (Public::MissionLocale, None),
            "ime" => (Public::ImeImpro, None),
            _ => (Public::FormationSanitaireSociale, None),
        };
        let age = match public {
            Public::Lyceen => rng.random_range(15..19),
            Public::ImeImpro => rng.random_range(14..19),
            _ => rng.random_range(17..24),
        };
        let birth =
            today - Duration::days(age * 365 + rng.random_range(10..350)) + Duration::days(0);
        let birth = if n == 0 {
            NaiveDate::from_ymd_opt(2010, 3, 14).unwrap_or(birth)
        } else {
            birth
        };
        let youth = principal(&account, Role::Youth);
        let order = store.create_order(
            &youth,
            OrderRequest {
                first_name: first.to_owned(),
                last_name: last.to_owned(),
                birth_date: birth,
                public,
                track,
                disabled: n % 23 == 5,
                establishment_id: eid.to_owned(),
                address: format!("{} avenue des Lilas", 1 + n % 90),
                postal_code: cp.to_owned(),
                city: city.to_owned(),
            },
            ago(60),
        )?;
        if n == 0 {
            logins.insert(0, ("Jeune".to_owned(), email));
        }
        // About 1 in 15 stays pending, 1 in 40 is refused, the rest is validated.
        let staff = &etab_staff[etab_index];
        if n != 0 && n % 15 == 7 {
            continue;
        }
        if n != 0 && n % 40 == 13 {
            store.decide_order(
                staff,
                &order.id,
                OrderDecision {
                    validate: false,
                    reason: Some("Inscription dans l'établissement non confirmée.".into()),
                },
                ago(55),
            )?;
            continue;
        }
        store.decide_order(
            staff,
            &order.id,
            OrderDecision {
                validate: true,
                reason: None,
            },
            ago(55),
        )?;
        if n % 10 != 9 {
            store.activate_card(&youth, ago(50))?;
        }
        if n == 0 {
            let card = store.my_card(&youth, now)?;
            featured = Some((card.number, birth));
        }
    }

    // Some history: debits at partners, one refund.
    let cards = store.demo_active_cards(FEATURED_YOUTH, 80)?;
    for (i, (card_id, _)) in cards.iter().enumerate() {
        let (partner, category) = &partners[i % partners.len()];
        let (avantage, price, entries) = match category {
            PartnerCategory::Librairie => (
                "lecture_loisir",
                Some(Money::from_cents(rng.random_range(500..2500))?),
                None,
            ),
            PartnerCategory::ClubSportif => (
                "licence_sportive",
                Some(Money::from_cents(rng.random_range(2000..9000))?),
                None,
            ),
            PartnerCategory::SalleDeSpectacle | PartnerCategory::Musee => (
                "spectacles",
                Some(Money::from_cents(rng.random_range(800..2500))?),
                None,
            ),
            PartnerCategory::Cinema => ("cinema", None, Some(rng.random_range(1..3))),
            PartnerCategory::EquipementPro => (
                "premier_equipement_pro",
                Some(Money::from_cents(rng.random_range(5000..20000))?),
                None,
            ),
            PartnerCategory::ChassePeche => ("chasse_peche", Some(Money::from_cents(3000)?), None),
        };
        let req = DebitRequest {
            card_number: None,
            birth_date: None,
            qr: None,
            avantage: avantage.to_owned(),
            price,
            entries,
            scanned_at: None,
        };
        let idem = Idempotency {
            account_id: partner.account_id.clone(),
            key: format!("demo-{i}"),
            request_hash: sha256_hex(format!("demo-{i}").as_bytes()),
        };
        // Not every card has every avantage (e.g. premier équipement): skip refusals.
        let _ = store.debit(
            partner,
            CardRef::Scanned(crate::debits::qr::ScannedCard {
                card_version: None,
                card_id: card_id.clone(),
                used: None,
            }),
            req,
            Channel::Qr,
            idem,
            ago(40 - (i as i64 % 30)),
        );
    }
    let cinema = partners
        .iter()
        .find(|(_, c)| *c == PartnerCategory::Cinema)
        .map(|p| &p.0);
    if let Some(ampere) = etab_staff.first() {
        class::seed_class(store, ampere, cinema, &hash, now, ago)?;
        logins.push((
            "Jeune de 1re B (Lycée Ampère)".to_owned(),
            class::class_email(1),
        ));
    }
    class::seed_referent_requests(store, &etab_staff, &partners, now)?;
    Ok(DemoSummary {
        created: true,
        logins,
        featured_card: featured,
    })
}

/// The demo logins of a database seeded by an earlier start.
pub(crate) fn existing_summary(store: &dyn DemoStore) -> Result<DemoSummary, ServiceError> {
    let mut wanted: Vec<(String, String)> = vec![
        ("Jeune".into(), FEATURED_YOUTH.into()),
        ("Établissement".into(), "ampere@demo.passregion.fr".into()),
    ];
    for (role, email, _) in region_staff::AGENTS {
        wanted.push((region_staff::login_label(role), email.into()));
    }
    for c in PartnerCategory::ALL {
        wanted.push((
            format!("Partenaire ({})", c.label_fr()),
            format!("{}@demo.passregion.fr", c.code().replace('_', "-")),
        ));
    }
    wanted.push((
        "Jeune de 1re B (Lycée Ampère)".into(),
        class::class_email(1),
    ));
    wanted.push((
        "Partenaire candidat (en instruction)".into(),
        "candidature@demo.passregion.fr".into(),
    ));
    let emails: Vec<String> = wanted.iter().map(|(_, e)| e.clone()).collect();
    let exists = store.demo_accounts_exist(&emails)?;
    let logins = wanted
        .into_iter()
        .zip(exists)
        .filter_map(|(login, exists)| exists.then_some(login))
        .collect();
    let featured = store.demo_card_of(FEATURED_YOUTH)?.and_then(|(n, b)| {
        NaiveDate::parse_from_str(&b, "%Y-%m-%d")
            .ok()
            .map(|d| (n, d))
    });
    Ok(DemoSummary {
        created: false,
        logins,
        featured_card: featured,
    })
}

pub(crate) fn bons_plans_for(category: PartnerCategory, name: &str) -> Vec<(String, String)> {
    let (a, b) = match category {
        PartnerCategory::Librairie => (
            (
                "-5 % sur les romans",
                "Sur présentation du PASS'Région, 5 % de remise sur tous les romans et BD.",
            ),
            (
                "Rencontre d'auteur",
                "Une rencontre-dédicace réservée aux porteurs du PASS, sur inscription.",
            ),
        ),
        PartnerCategory::ClubSportif => (
            (
                "Séance découverte offerte",
                "Venez essayer une séance gratuite avant de prendre votre licence.",
            ),
            (
                "Stage de vacances -20 %",
                "20 % de réduction sur nos stages de vacances scolaires.",
            ),
        ),
        PartnerCategory::SalleDeSpectacle => (
            (
                "Répétition ouverte",
                "Assistez à une répétition et rencontrez les artistes.",
            ),
            (
                "2e place à 5 €",
                "Pour une place achetée, la deuxième à 5 € pour un ami porteur du PASS.",
            ),
        ),
        PartnerCategory::Cinema => (
            (
                "Avant-première",
                "Une avant-première par mois réservée aux porteurs du PASS.",
            ),
            (
                "Pop-corn offert",
                "Un petit pop-corn offert pour toute place achetée avec le PASS.",
            ),
        ),
        PartnerCategory::Musee => (
            (
                "Visite guidée jeunes",
                "Une visite guidée gratuite le premier mercredi du mois.",
            ),
            (
                "Atelier photo",
                "Un atelier photo dans les collections, réservé aux porteurs du PASS.",
            ),
        ),
        PartnerCategory::EquipementPro => (
            (
                "Marquage offert",
                "Le marquage de votre tenue professionnelle offert.",
            ),
            (
                "-10 % sur l'outillage",
                "10 % de remise sur l'outillage au-delà du premier équipement.",
            ),
        ),
        PartnerCategory::ChassePeche => (
            (
                "Initiation à la pêche",
                "Une matinée d'initiation encadrée par un guide.",
            ),
            (
                "Sortie nature",
                "Une sortie découverte de la faune locale avec un technicien.",
            ),
        ),
    };
    [a, b]
        .into_iter()
        .map(|(t, d)| (t.to_owned(), format!("{d} ({name})")))
        .collect()
}
