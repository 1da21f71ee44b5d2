//! The client against a real server: `sapa send` and `sapa tail` (as
//! library calls and as the built binary), logging in and reusing the saved
//! token, a client that loses its server and gets it back, and all of it
//! over TLS with a private CA.
//!
//! Every test gets a fresh database from `#[sqlx::test]` (DATABASE_URL must
//! point at a PostgreSQL the tests may create databases in).

mod conversations;
mod helpers;
mod send;
mod session;
mod tail;
mod tls;

use std::process::Stdio;

use helpers::*;
use sapa_protocol::Secret;
use sapa_tui::app::keys::{Key, KeyCode};
use sapa_tui::app::{Conn, Event, Screen, State};
use sapa_tui::client::rest::Rest;
use sapa_tui::client::url::{parse_server, server_key};
use sapa_tui::run::exit;
use sapa_tui::run::send as sapa_send;
use sapa_tui::run::tail::{self as sapa_tail, TailOptions};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
