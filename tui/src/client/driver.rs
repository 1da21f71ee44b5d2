//! The glue between the pure state machine and the world, without any
//! terminal: the [`Driver`] owns the [`State`], the WebSocket task, the REST
//! calls in flight and the credentials, performs the [`Effect`]s that
//! `update` returns, and turns what comes back (network events, login and
//! room-list results) into the next [`Event`]. The full-screen client
//! ([`crate::run::terminal`]), `sapa send` and `sapa tail`
//! ([`crate::run`]) and the integration tests all drive a client through
//! it, so they log in, reconnect and retry alike.
//!
//! Credentials: a saved token is tried first; without one, or when the
//! server refuses it, the password from `SAPA_PASSWORD` is used once, and
//! after that the login screen asks. [`Driver::login_wanted`] says why, for
//! a caller that has no login screen to show.
//!
//! Every task the driver starts has an owner: the socket task is stopped
//! and awaited, and REST calls are held in a [`JoinSet`] whose results come
//! back through [`Driver::next`] and which [`Driver::shutdown`] aborts.

use std::collections::VecDeque;

use sapa_protocol::{Secret, Username, rest::Conversation};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use url::Url;

use crate::app::notify::Notification;
use crate::app::{Effect, Event, NetEvent, Screen, Settled, State};
use crate::client::rest::{Rest, RestError};
use crate::client::socket::{self, Socket, SocketConfig};
use crate::client::tokens::TokenStore;
use crate::client::url::server_key;

/// How many network events may wait for the state machine.
const EVENT_QUEUE: usize = 1024;

/// A finished REST call, turned into an [`Event`] by [`Driver::next`].
enum Done {
    Login(Result<(Username, Secret, bool), RestError>),
    Rooms(Result<Vec<(String, u64)>, RestError>),
    Conversations(Result<Vec<Conversation>, RestError>),
}

/// What an update asks of the caller, beyond what the driver did itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub quit: bool,
    /// Ring the terminal bell.
    pub bell: bool,
    /// Desktop notifications to show, oldest first.
    pub notify: Vec<Notification>,
    /// The user's messages that were stored or refused, for a caller that
    /// waits for them (`sapa send`); the screen shows them already.
    pub settled: Vec<Settled>,
}

impl Outcome {
    /// Adds what a later update asked for.
    pub fn merge(&mut self, other: Outcome) {
        self.quit |= other.quit;
        self.bell |= other.bell;
        self.notify.extend(other.notify);
        self.settled.extend(other.settled);
    }
}

/// Why the login screen is up: what a caller without one reports instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginWanted {
    /// No token was saved for this user and server, and no password given.
    NoCredential,
    /// The server refused the saved token, and no password is left to try.
    TokenRefused,
    /// Logging in over REST failed.
    Failed(RestError),
}

/// Where a token comes from, in the order tried.
struct Credentials {
    store: Option<TokenStore>,
    /// How the server is named in the token file.
    server_key: String,
    /// `SAPA_PASSWORD`, until it has been tried.
    password: Option<Secret>,
    /// The token the connection uses (for REST calls too).
    token: Option<Secret>,
}

/// A client without a screen.
pub struct Driver {
    pub state: State,
    rest: Rest,
    credentials: Credentials,
    /// The network settings; the token is filled in on each start.
    socket_config: SocketConfig,
    socket: Option<Socket>,
    net_tx: mpsc::Sender<NetEvent>,
    net_rx: mpsc::Receiver<NetEvent>,
    /// The REST calls in flight.
    calls: JoinSet<Done>,
    login_wanted: Option<LoginWanted>,
}

impl Driver {
    /// A driver for `state` against the server at `server`. `socket`
    /// carries the WebSocket URL and timings (its token is replaced).
    pub fn new(
        state: State,
        server: &Url,
        socket: SocketConfig,
        store: Option<TokenStore>,
        password: Option<Secret>,
    ) -> Self {
        let (net_tx, net_rx) = mpsc::channel(EVENT_QUEUE);
        Self {
            state,
            rest: Rest::new(server.clone(), &socket.trust),
            credentials: Credentials {
                store,
                server_key: server_key(server),
                password,
                token: None,
            },
            socket_config: socket,
            socket: None,
            net_tx,
            net_rx,
            calls: JoinSet::new(),
            login_wanted: None,
        }
    }

    /// Why the login screen is up, if it is.
    pub fn login_wanted(&self) -> Option<&LoginWanted> {
        self.login_wanted
            .as_ref()
            .filter(|_| matches!(self.state.screen, Screen::Login(_)))
    }

    /// Starts with the saved token, else the password, else the login
    /// screen.
    pub async fn start(&mut self) -> Outcome {
        let creds = &self.credentials;
        let saved = creds
            .store
            .as_ref()
            .and_then(|s| s.load(&creds.server_key, &self.state.user));
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
        self.login_wanted = Some(LoginWanted::NoCredential);
        self.step(Event::LoginNeeded(None)).await
    }

    /// Logs in with `SAPA_PASSWORD` if it was given and not used yet.
    fn try_password(&mut self) -> bool {
        let Some(password) = self.credentials.password.take() else {
            return false;
        };
        self.login(self.state.user.clone(), password);
        true
    }

    fn login(&mut self, user: Username, password: Secret) {
        let rest = self.rest.clone();
        self.calls.spawn(async move {
            let result = rest
                .login(&user, &password)
                .await
                .map(|(token, new)| (user, token, new));
            Done::Login(result)
        });
    }

    fn connect(&mut self, token: Secret) {
        let mut config = self.socket_config.clone();
        config.token = token.clone();
        self.credentials.token = Some(token);
        self.socket = Some(socket::spawn(config, self.net_tx.clone()));
    }

    async fn disconnect(&mut self) {
        if let Some(socket) = self.socket.take() {
            socket.stop().await;
        }
        // Events of the stopped connection no longer mean anything.
        while self.net_rx.try_recv().is_ok() {}
    }

    /// Waits for the next event from the network or a finished REST call.
    pub async fn next(&mut self) -> Event {
        loop {
            tokio::select! {
                Some(ev) = self.net_rx.recv() => return Event::Net(ev),
                Some(done) = self.calls.join_next() => {
                    // A call that panicked or was aborted has nothing to say.
                    if let Ok(done) = done {
                        return self.finish(done);
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
        while let Some(done) = self.calls.try_join_next() {
            if let Ok(done) = done {
                return Some(self.finish(done));
            }
        }
        None
    }

    fn finish(&mut self, done: Done) -> Event {
        match done {
            Done::Login(Ok((user, token, registered))) => {
                let creds = &self.credentials;
                if let Some(store) = &creds.store {
                    // Not fatal: the session works, it just is not kept.
                    let _ = store.save(&creds.server_key, &user, &token);
                }
                self.login_wanted = None;
                self.connect(token);
                Event::LoggedIn { user, registered }
            }
            Done::Login(Err(e)) => {
                let why = e.to_string();
                self.login_wanted = Some(LoginWanted::Failed(e));
                match self.state.screen {
                    Screen::Login(_) => Event::LoginFailed(why),
                    Screen::Chat | Screen::Help | Screen::Search(_) => {
                        Event::LoginNeeded(Some(why))
                    }
                }
            }
            Done::Rooms(r) => Event::RoomsListed(r.map_err(|e| e.to_string())),
            Done::Conversations(r) => Event::Conversations(r.map_err(|e| e.to_string())),
        }
    }

    /// Feeds one event to the state machine and performs its effects.
    pub async fn step(&mut self, event: Event) -> Outcome {
        let mut effects = VecDeque::from(self.state.update(event));
        let mut out = Outcome::default();
        while let Some(effect) = effects.pop_front() {
            match effect {
                Effect::Send(frame) => {
                    if let Some(socket) = &self.socket {
                        socket.send(frame);
                    }
                }
                Effect::Login { username, password } => self.login(username, password),
                Effect::AuthRejected => {
                    self.disconnect().await;
                    let creds = &self.credentials;
                    if let Some(store) = &creds.store {
                        let _ = store.forget(&creds.server_key, &self.state.user);
                    }
                    self.credentials.token = None;
                    if !self.try_password() {
                        self.login_wanted = Some(LoginWanted::TokenRefused);
                        let why =
                            "the server did not accept the saved session; enter your password";
                        effects.extend(self.state.update(Event::LoginNeeded(Some(why.into()))));
                    }
                }
                Effect::ListRooms => {
                    if let Some(token) = self.credentials.token.clone() {
                        let rest = self.rest.clone();
                        self.calls
                            .spawn(async move { Done::Rooms(rest.rooms(&token).await) });
                    }
                }
                Effect::FetchConversations => {
                    if let Some(token) = self.credentials.token.clone() {
                        let rest = self.rest.clone();
                        self.calls.spawn(async move {
                            Done::Conversations(rest.conversations(&token).await)
                        });
                    }
                }
                Effect::Bell => out.bell = true,
                Effect::Notify(n) => out.notify.push(n),
                Effect::Quit => out.quit = true,
                Effect::Settled(settled) => out.settled.push(settled),
            }
        }
        out
    }

    /// Closes the connection politely and abandons the REST calls still in
    /// flight.
    pub async fn shutdown(mut self) {
        self.disconnect().await;
        self.calls.shutdown().await;
    }
}
