//! The server's rules through its HTTP API, in process: the router is driven
//! with `oneshot` on a state built at a fixed instant (see `common`). One test
//! binary, so that the server library is linked once for all of them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod account_security;
mod bank_details;
mod clawback;
mod collective;
mod convention_pdf;
mod enumeration;
mod establishment_bulk;
mod establishment_desk;
mod hardening;
mod help;
mod lost_card;
mod metrics;
mod notifications;
mod offline_exposure;
mod offline_push;
mod onboarding;
mod online_scan;
mod partner_application;
mod partner_staff;
mod password_reset;
mod payment_runs;
mod print_queue;
mod privacy;
mod referents;
mod region_desk;
mod region_invites;
mod region_roles;
mod rules;
mod sms;
mod sms_gateway;
mod smtp;
mod stats;
mod trust;
