//! Getting and keeping a token: the REST calls (`POST /sessions`, falling
//! back to `POST /users` to register a new name, `DELETE /sessions`,
//! `GET /rooms`) and the token file in the user's config directory.
//!
//! The token file is `$SAPA_CONFIG_DIR/tokens.json` if that variable is set
//! (tests use it), else `<XDG config dir>/sapa/tokens.json`; it is written
//! with mode 0600 inside a 0700 directory, replaced atomically, and holds one
//! token per (server, user). Passwords are never written anywhere.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sapa_protocol::{
    Secret, Username,
    rest::{Credentials, ErrorBody, RoomInfo, Session},
};
use serde::{Deserialize, Serialize};
use url::Url;

/// How long a REST call may take before the server counts as unreachable.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Why no token could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
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
    /// A client for the server at `base` (`http://host:port`).
    pub fn new(base: Url) -> Self {
        let http = reqwest::Client::builder()
            .timeout(HTTP_TIMEOUT)
            .build()
            .expect("a plain HTTP client always builds");
        Self { http, base }
    }

    fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("a fixed path always joins")
    }

    fn unreachable(&self, e: &reqwest::Error) -> LoginError {
        let mut why = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            why = s.to_string();
            source = s.source();
        }
        LoginError::Unreachable {
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
    ) -> Result<(Secret, bool), LoginError> {
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
            _ => return Err(LoginError::Server(Self::message(resp).await)),
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
            409 => Err(LoginError::WrongPassword(user.to_string())),
            // The name is new to the server but not acceptable as it is
            // (or the name exists and the password is simply wrong).
            422 => Err(LoginError::Invalid(format!(
                "wrong password for {user}; to register it as a new name: {}",
                Self::message(resp).await
            ))),
            _ => Err(LoginError::Server(Self::message(resp).await)),
        }
    }

    async fn token(resp: reqwest::Response) -> Result<Secret, LoginError> {
        // The answer of POST /users (`Registered`) has the same two fields.
        resp.json::<Session>()
            .await
            .map(|b| Secret::new(b.token))
            .map_err(|e| LoginError::Server(format!("unreadable answer: {e}")))
    }

    async fn message(resp: reqwest::Response) -> String {
        let status = resp.status();
        match resp.json::<ErrorBody>().await {
            Ok(b) if !b.message.is_empty() => b.message,
            _ => format!("HTTP {status}"),
        }
    }

    /// Revokes a token on the server (`DELETE /sessions`).
    pub async fn logout(&self, token: &Secret) -> Result<(), LoginError> {
        let resp = self
            .http
            .delete(self.url("sessions"))
            .bearer_auth(token.expose())
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        match resp.status().as_u16() {
            200..=299 | 401 => Ok(()),
            _ => Err(LoginError::Server(Self::message(resp).await)),
        }
    }

    /// The server's rooms with how many users are online in each.
    pub async fn rooms(&self, token: &Secret) -> Result<Vec<(String, u64)>, LoginError> {
        let resp = self
            .http
            .get(self.url("rooms"))
            .bearer_auth(token.expose())
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        if !resp.status().is_success() {
            return Err(LoginError::Server(Self::message(resp).await));
        }
        let rooms: Vec<RoomInfo> = resp
            .json()
            .await
            .map_err(|e| LoginError::Server(format!("unreadable answer: {e}")))?;
        Ok(rooms
            .into_iter()
            .map(|r| (r.name.to_string(), r.online))
            .collect())
    }
}

/// The server's WebSocket URL: `http` becomes `ws`, `https` becomes `wss`,
/// and the path is `/ws`.
pub fn ws_url(server: &Url) -> Result<Url, String> {
    let mut url = server.join("ws").map_err(|e| e.to_string())?;
    let scheme = match server.scheme() {
        "http" | "ws" => "ws",
        "https" | "wss" => "wss",
        other => {
            return Err(format!(
                "unsupported scheme {other}: use http:// or https://"
            ));
        }
    };
    url.set_scheme(scheme)
        .map_err(|()| "cannot build the WebSocket URL".to_owned())?;
    Ok(url)
}

/// Parses `--server`: a bare `host:port` gets `http://`; the path is made
/// to end in `/` so relative REST paths join under it.
pub fn parse_server(text: &str) -> Result<Url, String> {
    let with_scheme = if text.contains("://") {
        text.to_owned()
    } else {
        format!("http://{text}")
    };
    let mut url = Url::parse(&with_scheme).map_err(|e| format!("bad server URL {text:?}: {e}"))?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    if url.host_str().is_none() {
        return Err(format!("bad server URL {text:?}: no host"));
    }
    Ok(url)
}

/// How a server is named in the token file and the status line.
pub fn server_key(server: &Url) -> String {
    server.as_str().trim_end_matches('/').to_owned()
}

/// The saved tokens, one per (server, user).
#[derive(Debug, Clone)]
pub struct TokenStore {
    path: PathBuf,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct TokenFile {
    tokens: Vec<SavedToken>,
}

#[derive(Debug, Serialize, Deserialize)]
struct SavedToken {
    server: String,
    username: String,
    token: String,
}

impl TokenStore {
    /// The store at `dir/tokens.json`.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Self {
            path: dir.into().join("tokens.json"),
        }
    }

    /// `$SAPA_CONFIG_DIR`, else the XDG config dir's `sapa/`; `None` when
    /// the system has no config directory at all.
    pub fn default_location() -> Option<Self> {
        if let Some(dir) = std::env::var_os("SAPA_CONFIG_DIR").filter(|d| !d.is_empty()) {
            return Some(Self::in_dir(dir));
        }
        dirs::config_dir().map(|d| Self::in_dir(d.join("sapa")))
    }

    /// Where the tokens are kept.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> TokenFile {
        fs::read(&self.path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    fn write(&self, file: &TokenFile) -> std::io::Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        create_private_dir(dir)?;
        let tmp = self.path.with_extension("json.tmp");
        {
            let mut out = private_file(&tmp)?;
            out.write_all(&serde_json::to_vec_pretty(file).map_err(std::io::Error::other)?)?;
            out.sync_all()?;
        }
        fs::rename(&tmp, &self.path)
    }

    /// The saved token for `user` on `server`, if any.
    pub fn load(&self, server: &str, user: &Username) -> Option<Secret> {
        self.read()
            .tokens
            .into_iter()
            .find(|t| t.server == server && user.same_account(&t.username))
            .map(|t| Secret::new(t.token))
    }

    /// Saves (or replaces) the token for `user` on `server`.
    pub fn save(&self, server: &str, user: &Username, token: &Secret) -> std::io::Result<()> {
        let mut file = self.read();
        file.tokens
            .retain(|t| !(t.server == server && user.same_account(&t.username)));
        file.tokens.push(SavedToken {
            server: server.to_owned(),
            username: user.to_string(),
            token: token.expose().to_owned(),
        });
        self.write(&file)
    }

    /// Forgets the token for `user` on `server`; returns it if there was one.
    pub fn forget(&self, server: &str, user: &Username) -> std::io::Result<Option<Secret>> {
        let mut file = self.read();
        let found = file
            .tokens
            .iter()
            .position(|t| t.server == server && user.same_account(&t.username));
        let Some(at) = found else {
            return Ok(None);
        };
        let gone = file.tokens.remove(at);
        self.write(&file)?;
        Ok(Some(Secret::new(gone.token)))
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // An older file may have been created with a looser mode.
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<fs::File> {
    fs::File::create(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sapa-tui-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn tokens_are_saved_per_server_and_user_and_forgotten() {
        let dir = temp_dir("store");
        let store = TokenStore::in_dir(dir.join("sapa"));
        let alice: Username = "alice".parse().unwrap();
        let bob: Username = "bob".parse().unwrap();
        assert!(store.load("http://a", &alice).is_none());
        store.save("http://a", &alice, &Secret::new("t1")).unwrap();
        store.save("http://b", &alice, &Secret::new("t2")).unwrap();
        store.save("http://a", &bob, &Secret::new("t3")).unwrap();
        store.save("http://a", &alice, &Secret::new("t4")).unwrap();
        let upper: Username = "ALICE".parse().unwrap();
        assert_eq!(store.load("http://a", &upper).unwrap().expose(), "t4");
        assert_eq!(store.load("http://b", &alice).unwrap().expose(), "t2");
        assert_eq!(
            store.forget("http://a", &alice).unwrap().unwrap().expose(),
            "t4"
        );
        assert!(store.load("http://a", &alice).is_none());
        assert!(store.forget("http://a", &alice).unwrap().is_none());
        assert_eq!(store.load("http://a", &bob).unwrap().expose(), "t3");
        let _ = fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn the_token_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("mode");
        let store = TokenStore::in_dir(dir.join("sapa"));
        store
            .save("http://a", &"alice".parse().unwrap(), &Secret::new("t"))
            .unwrap();
        let mode = fs::metadata(store.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = fs::metadata(dir.join("sapa")).unwrap().permissions().mode();
        assert_eq!(dir_mode & 0o777, 0o700);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn server_urls_are_normalised() {
        let u = parse_server("localhost:3000").unwrap();
        assert_eq!(u.as_str(), "http://localhost:3000/");
        assert_eq!(server_key(&u), "http://localhost:3000");
        assert_eq!(ws_url(&u).unwrap().as_str(), "ws://localhost:3000/ws");
        let s = parse_server("https://chat.example/sapa").unwrap();
        assert_eq!(ws_url(&s).unwrap().as_str(), "wss://chat.example/sapa/ws");
        assert!(parse_server("http://").is_err());
        assert!(ws_url(&Url::parse("ftp://x/").unwrap()).is_err());
    }
}
