//! Integration tests: a real server on port 0 against a fresh PostgreSQL
//! database per test (`#[sqlx::test]`), driven over real sockets.

mod helpers;
mod presence;
mod rest;
mod websocket;
