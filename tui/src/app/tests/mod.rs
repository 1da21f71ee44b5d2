//! State-machine tests, by concern, next to nothing but plain calls of
//! [`State::update`]: keys, commands, scrolling, the connection's life
//! (reconnect, resume, re-send) and exactly-once, in-order display. The
//! helpers here read what a user would notice: frames sent, ids shown, the
//! last notice.

mod bindings;
mod comings;
mod commands;
mod composer;
mod direct;
mod editor;
mod edits;
mod found;
mod help;
mod keymap;
mod layout;
mod login;
mod notify;
mod pending;
mod reading;
mod rooms;
mod scroll;
mod stamp;
mod sync;
mod typing;

use std::time::{Duration, Instant};

use sapa_protocol::{ClientKind, ClientMessage, ErrorCode, ErrorRef, ServerMessage};

use crate::app::fixtures::*;
use crate::app::keys::{KeyCode, Wheel};
use crate::app::layout::Size;
use crate::app::login::LoginField;
use crate::app::rooms::{Entry, mentions};
use crate::app::{Conn, Effect, Event, NetEvent, Screen, State};

fn sent(fx: &[Effect]) -> Vec<&ClientMessage> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Send(m) => Some(m),
            _ => None,
        })
        .collect()
}

fn shown_ids(s: &State) -> Vec<i64> {
    s.room().messages().map(|m| m.id).collect()
}

/// The clock moves on to `now`.
fn tick(s: &mut State, now: Instant) -> Vec<Effect> {
    s.update(Event::Tick { now, wall: t0() })
}

fn last_notice(s: &State) -> String {
    s.room()
        .entries
        .iter()
        .rev()
        .find_map(|e| match e {
            Entry::Notice { text, .. } => Some(text.clone()),
            _ => None,
        })
        .unwrap_or_default()
}
