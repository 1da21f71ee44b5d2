//! The one client every way of running `sapa` uses: the WebSocket
//! ([`socket`]: connect, ping, reconnect with backoff), the REST calls
//! ([`rest`]), the token file ([`tokens`]), whom `https://` trusts
//! ([`tls`]), how a server address becomes URLs ([`url`]), and the [`driver::Driver`] that owns a [`crate::app::State`]
//! and performs its effects with them.
//!
//! Nothing here draws or reads the terminal: the screen is [`crate::view`],
//! the loops that feed a driver are [`crate::run`].

pub mod driver;
pub mod rest;
pub mod socket;
pub mod tls;
pub mod tokens;
pub mod url;
