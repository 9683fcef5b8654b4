//! Request and response types of établissements: shared with the clients, defined in
//! [`passregion_core::api::establishments`].

pub use passregion_core::api::establishments::*;
