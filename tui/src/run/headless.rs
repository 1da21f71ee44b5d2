//! The client without a screen that `sapa send` and `sapa tail` run on: the
//! same [`Driver`] as the chat screen, fed the clock (so its retry timers
//! fire), and turned into a [`CliError`] where the chat screen would show
//! something and wait for the user: the login screen (no credential, a
//! refused token, a failed login) and a server that never answered. Once
//! online, a lost connection is the driver's to win back: it reconnects,
//! resumes and re-sends like the chat screen does.

use tokio::time::{Interval, MissedTickBehavior, interval};

use super::{CliError, TICK, Target};
use crate::app::{Conn, Event, NetEvent, Options, Screen, State};
use crate::client::driver::{Driver, LoginWanted, Outcome};
use crate::client::socket::SocketConfig;
use crate::client::url::server_key;

/// A running client for one script command; [`Headless::shutdown`] it at
/// the end.
pub(super) struct Headless<'t> {
    driver: Driver,
    target: &'t Target,
    clock: Interval,
    /// The connection was up once: losing it is reconnected, not an error.
    ever_online: bool,
}

impl<'t> Headless<'t> {
    /// A client for `target` whose client_ids start with `client_prefix`.
    pub fn new(
        target: &'t Target,
        client_prefix: String,
        utc_offset: time::UtcOffset,
        socket: SocketConfig,
    ) -> Self {
        let mut state = State::new(Options {
            server: server_key(&target.server),
            user: target.user.clone(),
            room: target.room.clone(),
            client_prefix,
            utc_offset,
            now: std::time::Instant::now(),
            wall: time::OffsetDateTime::now_utc(),
            prefs: Default::default(),
        });
        // Scripts read nothing: no read markers, no DM views.
        state.reader = false;
        let driver = Driver::new(
            state,
            &target.server,
            socket,
            target.store.clone(),
            target.password.clone(),
        );
        let mut clock = interval(TICK);
        clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Self {
            driver,
            target,
            clock,
            ever_online: false,
        }
    }

    /// Joins without being announced or listed (see `State::announce`).
    pub fn quiet(mut self) -> Self {
        self.driver.state.announce = false;
        self
    }

    /// What the client holds now (the room's messages, the connection).
    pub fn state(&self) -> &State {
        &self.driver.state
    }

    /// Logs in and starts connecting.
    pub async fn start(&mut self) -> Result<Outcome, CliError> {
        let out = self.driver.start().await;
        self.check_login()?;
        Ok(out)
    }

    /// Waits for the next event (the clock's tick included); fails if the
    /// server could not be reached before it ever answered.
    pub async fn next(&mut self) -> Result<Event, CliError> {
        let event = tokio::select! {
            event = self.driver.next() => event,
            _ = self.clock.tick() => Event::Tick {
                now: std::time::Instant::now(),
                wall: time::OffsetDateTime::now_utc(),
            },
        };
        if let Event::Net(NetEvent::Disconnected { reason, .. }) = &event
            && !self.ever_online
        {
            return Err(CliError::Unreachable(format!(
                "cannot reach {}: {reason}",
                server_key(&self.target.server)
            )));
        }
        Ok(event)
    }

    /// Feeds an event to the client; fails if it now needs a password
    /// nobody can type.
    pub async fn step(&mut self, event: Event) -> Result<Outcome, CliError> {
        let out = self.driver.step(event).await;
        if self.driver.state.link.conn == Conn::Online {
            self.ever_online = true;
        }
        self.check_login()?;
        Ok(out)
    }

    /// The login screen is up: say why, as a script sees it.
    fn check_login(&self) -> Result<(), CliError> {
        if !matches!(self.driver.state.screen, Screen::Login(_)) {
            return Ok(());
        }
        let (user, key) = (&self.target.user, server_key(&self.target.server));
        Err(match self.driver.login_wanted() {
            Some(LoginWanted::Failed(e)) => CliError::from(e.clone()),
            Some(LoginWanted::TokenRefused) => CliError::Auth(format!(
                "the server did not accept the saved session for {user} on {key}: \
                 set SAPA_PASSWORD to log in again"
            )),
            Some(LoginWanted::NoCredential) | None => CliError::Auth(format!(
                "no saved session for {user} on {key}: set SAPA_PASSWORD, or run sapa once to log in"
            )),
        })
    }

    /// Closes the connection politely.
    pub async fn shutdown(self) {
        self.driver.shutdown().await;
    }
}
