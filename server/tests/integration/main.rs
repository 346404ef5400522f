//! The integration tests, one binary (one link instead of one a file): each module starts the
//! real application on a fresh SQLite file or PostgreSQL database and talks to it over HTTP.

#[macro_use]
mod common;

mod acting;
mod audit;
mod behind_nginx;
mod consent;
mod crash;
mod foundation;
mod guessing;
mod impersonation;
mod instances;
mod member_account;
mod operations;
mod oversight;
mod people;
mod proxies;
mod receipts;
mod requests;
mod statements;
