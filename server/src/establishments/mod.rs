//! Établissements: the directory, thematic référents handed to partners, collective bookings,
//! and the desk (staff, bulk actions on orders and cards, the card's history: `desk/`).

pub mod booking;
pub mod collective;
pub mod desk;
pub mod error;
pub mod http;
pub mod import;
pub mod model;
pub mod repo;
pub mod service;
