//! Établissements: the directory, thematic référents handed to partners, collective bookings.

pub mod booking;
pub mod collective;
pub mod error;
pub mod http;
pub mod import;
pub mod model;
pub mod repo;
pub mod service;
