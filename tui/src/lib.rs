//! sapa's terminal client as a library. Five parts, each importing only
//! those before it:
//!
//! - [`app`]: the pure state machine, `(State, Event) -> Vec<Effect>`
//! - [`view`]: drawing a `State` with ratatui, and nothing else
//! - [`client`]: the WebSocket, REST calls, the token file, and the
//!   `Driver` that performs a state machine's effects with them
//! - [`config`]: the config file, and what flags, environment, file and
//!   defaults add up to
//! - [`run`]: the terminal loop, `sapa send` and `sapa tail`
//!
//! `main.rs` only parses arguments and calls into [`run`].

pub mod app;
pub mod client;
pub mod config;
pub mod run;
pub mod view;
