//! The glue between the pure state machine and the world, without any
//! terminal: it owns the [`State`], the network task, the REST client and
//! the token file, performs the [`Effect`]s that `update` returns, and turns
//! what comes back (network events, login and room-list results) into the
//! next [`Event`]. The interactive screen ([`crate::run::terminal`]), `sapa tail`
//! ([`crate::run::tail`]) and the integration tests all drive a client through it.
//!
//! Credentials: a saved token is tried first; without one, or when the
//! server refuses it, the password from `SAPA_PASSWORD` is used once, and
//! after that the login screen asks.

use sapa_protocol::{Secret, Username};
use tokio::sync::mpsc;
use url::Url;

use crate::app::{Effect, Event, NetEvent, Screen, State};
use crate::client::rest::{Rest, RestError};
use crate::client::socket::{self, NetConfig, NetHandle};
use crate::client::tokens::TokenStore;

/// How many network events may wait for the state machine.
const EVENT_QUEUE: usize = 1024;

/// What happened in the background (REST calls), turned into [`Event`]s by
/// [`Driver::next`].
enum Done {
    Login(Result<(Username, Secret, bool), RestError>),
    Rooms(Result<Vec<(String, u64)>, RestError>),
}

/// What an update asks of the caller's terminal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    pub quit: bool,
    pub bell: bool,
}

/// A client without a screen.
pub struct Driver {
    pub state: State,
    rest: Rest,
    server_key: String,
    /// The network settings; the token is filled in on each start.
    net_template: NetConfig,
    store: Option<TokenStore>,
    password: Option<Secret>,
    password_used: bool,
    token: Option<Secret>,
    net: Option<NetHandle>,
    net_tx: mpsc::Sender<NetEvent>,
    net_rx: mpsc::Receiver<NetEvent>,
    done_tx: mpsc::UnboundedSender<Done>,
    done_rx: mpsc::UnboundedReceiver<Done>,
}

impl Driver {
    /// A driver for `state` against the server at `server`. `net` carries
    /// the WebSocket URL and timings (its token is replaced).
    pub fn new(
        state: State,
        server: &Url,
        net: NetConfig,
        store: Option<TokenStore>,
        password: Option<Secret>,
    ) -> Self {
        let (net_tx, net_rx) = mpsc::channel(EVENT_QUEUE);
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        Self {
            state,
            rest: Rest::new(server.clone()),
            server_key: crate::client::url::server_key(server),
            net_template: net,
            store,
            password,
            password_used: false,
            token: None,
            net: None,
            net_tx,
            net_rx,
            done_tx,
            done_rx,
        }
    }

    /// Starts with the saved token, else the password, else the login
    /// screen.
    pub async fn start(&mut self) -> Outcome {
        let saved = self
            .store
            .as_ref()
            .and_then(|s| s.load(&self.server_key, &self.state.user));
        if let Some(token) = saved {
            let user = self.state.user.clone();
            self.connect(token);
            return self
                .step(Event::LoggedIn {
                    user,
                    registered: false,
                })
                .await;
        }
        if self.try_password() {
            return Outcome::default();
        }
        self.step(Event::LoginNeeded(None)).await
    }

    /// Logs in with `SAPA_PASSWORD` if it was given and not used yet.
    fn try_password(&mut self) -> bool {
        if self.password_used {
            return false;
        }
        let Some(password) = self.password.clone() else {
            return false;
        };
        self.password_used = true;
        self.login(self.state.user.clone(), password);
        true
    }

    fn login(&self, user: Username, password: Secret) {
        let rest = self.rest.clone();
        let done = self.done_tx.clone();
        tokio::spawn(async move {
            let result = rest
                .login(&user, &password)
                .await
                .map(|(token, new)| (user, token, new));
            let _ = done.send(Done::Login(result));
        });
    }

    fn connect(&mut self, token: Secret) {
        let mut config = self.net_template.clone();
        config.token = token.clone();
        self.token = Some(token);
        self.net = Some(socket::spawn(config, self.net_tx.clone()));
    }

    async fn disconnect(&mut self) {
        if let Some(net) = self.net.take() {
            net.stop().await;
        }
        // Events of the stopped connection no longer mean anything.
        while self.net_rx.try_recv().is_ok() {}
    }

    /// Waits for the next event from the network or a finished REST call.
    pub async fn next(&mut self) -> Event {
        loop {
            tokio::select! {
                Some(ev) = self.net_rx.recv() => return Event::Net(ev),
                Some(done) = self.done_rx.recv() => {
                    if let Some(ev) = self.finish(done) {
                        return ev;
                    }
                }
            }
        }
    }

    /// The next event if one is already waiting (so a busy room can be
    /// taken in as a batch and drawn once).
    pub fn try_next(&mut self) -> Option<Event> {
        if let Ok(ev) = self.net_rx.try_recv() {
            return Some(Event::Net(ev));
        }
        while let Ok(done) = self.done_rx.try_recv() {
            if let Some(ev) = self.finish(done) {
                return Some(ev);
            }
        }
        None
    }

    fn finish(&mut self, done: Done) -> Option<Event> {
        match done {
            Done::Login(Ok((user, token, registered))) => {
                if let Some(store) = &self.store {
                    // Not fatal: the session works, it just is not kept.
                    let _ = store.save(&self.server_key, &user, &token);
                }
                self.connect(token);
                Some(Event::LoggedIn { user, registered })
            }
            Done::Login(Err(e)) => Some(match self.state.screen {
                Screen::Login(_) => Event::LoginFailed(e.to_string()),
                Screen::Chat | Screen::Help => Event::LoginNeeded(Some(e.to_string())),
            }),
            Done::Rooms(r) => Some(Event::RoomsListed(r.map_err(|e| e.to_string()))),
        }
    }

    /// Feeds one event to the state machine and performs its effects.
    pub async fn step(&mut self, event: Event) -> Outcome {
        let effects = self.state.update(event);
        let mut out = Outcome::default();
        for effect in effects {
            match effect {
                Effect::Send(frame) => {
                    if let Some(net) = &self.net {
                        net.send(frame);
                    }
                }
                Effect::Login { username, password } => self.login(username, password),
                Effect::AuthRejected => {
                    self.disconnect().await;
                    if let Some(store) = &self.store {
                        let _ = store.forget(&self.server_key, &self.state.user);
                    }
                    self.token = None;
                    if !self.try_password() {
                        let why =
                            "the server did not accept the saved session; enter your password";
                        let next = Box::pin(self.step(Event::LoginNeeded(Some(why.into())))).await;
                        out.quit |= next.quit;
                    }
                }
                Effect::ListRooms => {
                    if let Some(token) = self.token.clone() {
                        let rest = self.rest.clone();
                        let done = self.done_tx.clone();
                        tokio::spawn(async move {
                            let _ = done.send(Done::Rooms(rest.rooms(&token).await));
                        });
                    }
                }
                Effect::Bell => out.bell = true,
                Effect::Quit => out.quit = true,
                Effect::Settled(_) => {}
            }
        }
        out
    }

    /// Closes the connection politely.
    pub async fn shutdown(mut self) {
        self.disconnect().await;
    }
}
