//! The REST side of a sapa server, as the client uses it: logging in
//! (`POST /sessions`, falling back to `POST /users` to register a new name),
//! revoking a token (`DELETE /sessions`), listing rooms (`GET /rooms`) and
//! the user's conversations with their unread counts (`GET /conversations`).
//!
//! Only HTTP lives here: where tokens are kept is [`super::tokens`], and
//! how a server address becomes URLs is [`super::url`].

use std::time::Duration;

use sapa_protocol::{
    Secret, Username,
    rest::{Conversation, Credentials, ErrorBody, RoomInfo, Session},
};
use url::Url;

use super::tls::{Trust, certificate_problem};

/// How long a REST call may take before the server counts as unreachable.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a REST call brought nothing back; the text says what a person can do
/// about it, and the variant which exit code a script gets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestError {
    /// The name exists and the password is not its password.
    #[error("wrong password for {0}")]
    WrongPassword(String),
    /// The server refused the name or the (new) password.
    #[error("{0}")]
    Invalid(String),
    /// No answer from the server.
    #[error("cannot reach {url}: {why}")]
    Unreachable { url: String, why: String },
    /// Anything else the server said.
    #[error("server error: {0}")]
    Server(String),
}

/// The REST side of a sapa server.
#[derive(Debug, Clone)]
pub struct Rest {
    http: reqwest::Client,
    base: Url,
}

impl Rest {
    /// A client for the server at `base` (`http://host:port`, or
    /// `https://` whose certificate `trust` accepts).
    pub fn new(base: Url, trust: &Trust) -> Self {
        let http = trust
            .apply(reqwest::Client::builder().timeout(HTTP_TIMEOUT))
            .build()
            .expect("an HTTP client with valid certificates always builds");
        Self { http, base }
    }

    fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("a fixed path always joins")
    }

    fn unreachable(&self, e: &reqwest::Error) -> RestError {
        if let Some(why) = certificate_problem(e) {
            return RestError::Unreachable {
                url: self.base.as_str().trim_end_matches('/').to_owned(),
                why,
            };
        }
        let mut why = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            why = s.to_string();
            source = s.source();
        }
        RestError::Unreachable {
            url: self.base.as_str().trim_end_matches('/').to_owned(),
            why,
        }
    }

    /// Logs in, or registers the name if it is new. Returns the token and
    /// whether the name was just registered.
    pub async fn login(
        &self,
        user: &Username,
        password: &Secret,
    ) -> Result<(Secret, bool), RestError> {
        let body = Credentials {
            username: user.to_string(),
            password: password.clone(),
        };
        let resp = self
            .http
            .post(self.url("sessions"))
            .json(&body)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        match resp.status().as_u16() {
            200 => return Ok((Self::token(resp).await?, false)),
            401 => {}
            _ => return Err(RestError::Server(Self::message(resp).await)),
        }
        // Unknown name or wrong password: try to register the name.
        let resp = self
            .http
            .post(self.url("users"))
            .json(&body)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        match resp.status().as_u16() {
            200 | 201 => Ok((Self::token(resp).await?, true)),
            409 => Err(RestError::WrongPassword(user.to_string())),
            // The name is new to the server but not acceptable as it is
            // (or the name exists and the password is simply wrong).
            422 => Err(RestError::Invalid(format!(
                "wrong password for {user}; to register it as a new name: {}",
                Self::message(resp).await
            ))),
            _ => Err(RestError::Server(Self::message(resp).await)),
        }
    }

    async fn token(resp: reqwest::Response) -> Result<Secret, RestError> {
        // The answer of POST /users (`Registered`) has the same two fields.
        resp.json::<Session>()
            .await
            .map(|b| Secret::new(b.token))
            .map_err(|e| RestError::Server(format!("unreadable answer: {e}")))
    }

    async fn message(resp: reqwest::Response) -> String {
        let status = resp.status();
        match resp.json::<ErrorBody>().await {
            Ok(b) if !b.message.is_empty() => b.message,
            _ => format!("HTTP {status}"),
        }
    }

    /// Revokes a token on the server (`DELETE /sessions`).
    pub async fn logout(&self, token: &Secret) -> Result<(), RestError> {
        let resp = self
            .http
            .delete(self.url("sessions"))
            .bearer_auth(token.expose())
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        match resp.status().as_u16() {
            200..=299 | 401 => Ok(()),
            _ => Err(RestError::Server(Self::message(resp).await)),
        }
    }

    /// The server's rooms with how many users are online in each.
    pub async fn rooms(&self, token: &Secret) -> Result<Vec<(String, u64)>, RestError> {
        let rooms: Vec<RoomInfo> = self.get_json("rooms", token).await?;
        Ok(rooms
            .into_iter()
            .map(|r| (r.name.to_string(), r.online))
            .collect())
    }

    /// The user's rooms and DMs, each with its newest id, read marker and
    /// unread count.
    pub async fn conversations(&self, token: &Secret) -> Result<Vec<Conversation>, RestError> {
        self.get_json("conversations", token).await
    }

    /// GET `path` with the token, and its JSON body; the server's error
    /// message when it refuses.
    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        token: &Secret,
    ) -> Result<T, RestError> {
        let resp = self
            .http
            .get(self.url(path))
            .bearer_auth(token.expose())
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        if !resp.status().is_success() {
            return Err(RestError::Server(Self::message(resp).await));
        }
        resp.json()
            .await
            .map_err(|e| RestError::Server(format!("unreadable answer: {e}")))
    }
}
