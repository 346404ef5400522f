//! Server functions: parse the input, call the domain or the store, map the error. Nothing
//! more. One module a screen's worth of operations.

pub mod access_requests;
pub mod audit_views;
pub mod consent_settings;
pub mod credential_changes;
pub mod impersonation_control;
pub mod member_data;
pub mod owner_actions;
pub mod people_admin;
pub mod sign_in_and_out;
pub mod user_directory;

pub use sign_in_and_out::{whoami, SignIn, SignOut};
