//! Request and response types of bons plans: shared with the clients, defined in
//! [`passregion_core::api::bons_plans`].

pub use passregion_core::api::bons_plans::*;
