//! Integration tests: a real server on port 0 against a fresh PostgreSQL
//! database per test (`#[sqlx::test]`), driven over real sockets; and the
//! store's trickier statements against the same fresh databases.

mod certs;
mod changes;
#[macro_use]
mod cluster;
mod contract;
mod direct;
mod helpers;
mod limits;
mod nodes;
mod outage;
mod presence;
mod read_markers;
mod rest;
mod store;
mod tls;
mod tutorial;
mod typing;
mod websocket;
