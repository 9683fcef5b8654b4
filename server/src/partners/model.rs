//! Request and response types of partners: shared with the clients, defined in
//! [`passregion_core::api::partners`].

pub use passregion_core::api::partners::*;
