//! The PostgreSQL engine (ADR 0036) against a real cluster: the URL of a
//! role that may create databases is read from `PASSREGION_TEST_DATABASE_URL`
//! (`scripts/pg-cluster.sh start DIR` prints one; `scripts/test-all.sh` sets
//! it). Each test makes its own database and drops it. Without the variable
//! every test prints `SKIPPED` and passes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod accounts;
mod card_services;
mod cards;
mod debits;
mod debits_failover;
mod debits_lookup;
mod establishments;
mod establishments_desk;
mod keys;
mod migrations;
mod notify;
mod partners;
mod region;
mod region_desk;
mod reimbursements;
mod sync;
mod transactions;
