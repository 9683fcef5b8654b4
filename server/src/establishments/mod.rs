//! Établissements: the directory, thematic référents handed to partners, collective bookings.

pub mod collective;
pub mod http;
pub mod model;
pub mod repo;
pub mod service;
