//! sapa's terminal client as a library: the pure state machine ([`app`]),
//! its screen ([`ui`], [`layout`]), the line editor ([`input`]), the
//! WebSocket task ([`net`]), logging in and keeping the token ([`auth`]),
//! the script-friendly `send` and `tail` commands ([`cli`]), and the
//! interactive terminal loop ([`term`]). `main.rs` only parses arguments.

pub mod app;
pub mod input;
pub mod layout;
pub mod ui;

pub mod auth;
pub mod cli;
pub mod driver;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod net;
pub mod term;
