//! Établissements: the directory, thematic référents (their contact handed to
//! a partner only once the établissement grants its request), collective bookings,
//! and the desk (staff, bulk actions on orders and cards, the card's history: `desk/`).

pub mod booking;
pub mod collective;
pub mod collective_pg;
pub mod desk;
pub mod error;
pub mod grants;
pub mod grants_pg;
pub mod grants_repo;
pub mod http;
pub mod import;
pub mod model;
pub mod repo;
pub mod repo_pg;
pub mod service;
pub mod staff_import;
