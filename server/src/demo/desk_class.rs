//! A full class at Lycée Ampère for the établissement's desk
//! (`--demo-ampere-youths N`, besides the 1re B of `class.rs`): N youths with an active card of the current
//! season, and 6 orders waiting for validation. Exactly 3 of the N (when
//! N ≥ 3) are 25 and turn 26 on 1 June of the next season, so a bulk
//! revalidation for that season refuses them (too old for their public,
//! the core's eligibility rule) and revalidates the others.
//!
//! One write job for the whole class, through the one-by-one rules
//! (`cards::service`: the order's checks, its validation issuing and
//! loading the card, the activation): a class of 200 is seeded in well
//! under a second.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use passregion_core::season::region_date;
use passregion_core::{Public, Season, Track};

use crate::accounts::model::{Principal, Role};
use crate::cards::model::{OrderDecision, OrderRequest};
use crate::cards::service;
use crate::demo::DemoStore;
use crate::demo::data::{FIRST_NAMES, LAST_NAMES};
use crate::demo::repo::DemoClassTx;
use crate::demo::{DemoSummary, principal};
use crate::error::ServiceError;
use crate::platform::catalogues::Catalogues;
use crate::platform::sql::new_id;

/// The établissement of the class.
const AMPERE: &str = "etab-ampere";

/// Orders of the class left waiting for validation.
const PENDING: usize = 6;

/// Seeds the demo region (see [`crate::demo::seed`]) and, when it was
/// created by this start, a class of `class` youths at Lycée Ampère.
pub(crate) fn seed_with_class(
    store: &dyn DemoStore,
    youths: usize,
    class: usize,
    now: DateTime<Utc>,
) -> Result<Option<DemoSummary>, ServiceError> {
    let summary = crate::demo::seed(store, youths, now)?;
    if class > 0 && summary.as_ref().is_some_and(|s| s.created) {
        seed_class(store, class, now)?;
    }
    Ok(summary)
}

/// Which of a class of `n` turn 26 before the next season: three spread
/// through the list.
pub(crate) fn too_old_next_season(i: usize, n: usize) -> bool {
    n >= 3 && (i == n / 4 || i == n / 2 || i == 3 * n / 4)
}

/// Seeds the class in one write job.
pub(crate) fn seed_class(
    store: &dyn DemoStore,
    n: usize,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let hash = crate::accounts::password::hash_password(crate::demo::DEMO_PASSWORD)
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    store.demo_seed_class(Box::new(move |tx, cats| {
        seed_class_with(tx, cats, n, &hash, now)
    }))
}

/// The class's rules, inside one transaction of the engine.
pub(crate) fn seed_class_with(
    tx: &dyn DemoClassTx,
    cats: &Catalogues,
    n: usize,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let today = region_date(now);
    let season = Season::of_date(today);
    let days_in = (today - season.first_day()).num_days();
    let ordered = now - Duration::days(30.min(days_in));
    // 25 until 31 May, 26 on the first day of the next season.
    let turns_26 = NaiveDate::from_ymd_opt(season.next().start_year() - 26, 6, 1)
        .ok_or_else(|| ServiceError::Internal("demo birth date".into()))?;
    let head = tx.head_of(AMPERE)?;
    let head = Principal {
        establishment_id: Some(AMPERE.to_owned()),
        establishment_role: Some(passregion_core::status::EstablishmentRole::Head),
        ..principal(&head, Role::Establishment)
    };
    let validate = service::check_decision(
        &head,
        OrderDecision {
            validate: true,
            reason: None,
        },
    )?;
    for i in 0..n + PENDING {
        let first = FIRST_NAMES[(i * 5 + 3) % FIRST_NAMES.len()];
        let last = LAST_NAMES[(i * 11 + i / 7) % LAST_NAMES.len()];
        let id = new_id();
        tx.insert_youth(
            &id,
            &format!("classe{i:03}@demo.passregion.fr"),
            hash,
            &format!("{first} {last}"),
            ordered,
        )?;
        let birth = if i < n && too_old_next_season(i, n) {
            turns_26
        } else {
            let age = 15 + (i % 4) as i64;
            today - Duration::days(age * 365 + (i as i64 * 37) % 300 + 10)
        };
        let order = service::check_order(
            &principal(&id, Role::Youth),
            OrderRequest {
                first_name: first.to_owned(),
                last_name: last.to_owned(),
                birth_date: birth,
                public: Public::Lyceen,
                track: Some([Track::Seconde, Track::Premiere, Track::Terminale][i % 3]),
                disabled: i % 29 == 11,
                establishment_id: AMPERE.to_owned(),
                address: format!("{} rue de la Charité", 1 + i % 120),
                postal_code: "69002".into(),
                city: "Lyon".into(),
            },
            ordered,
        )?;
        let order = service::create_order(tx, &order)?;
        if i >= n {
            continue;
        }
        service::decide_order(tx, cats, &order.id, &validate, ordered)?;
        service::activate_card(tx, cats, &id)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_of_a_class_are_too_old_next_season() {
        for n in [3, 4, 10, 199, 200, 1000] {
            assert_eq!(
                (0..n).filter(|&i| too_old_next_season(i, n)).count(),
                3,
                "{n}"
            );
        }
        assert_eq!((0..2).filter(|&i| too_old_next_season(i, 2)).count(), 0);
    }
}
