//! The token file: one saved token per (server, user), so a client logs in
//! once and reuses the session. Passwords are never written anywhere.
//!
//! The file is `$SAPA_CONFIG_DIR/tokens.json` if that variable is set (tests
//! use it), else `<XDG config dir>/sapa/tokens.json`; it is written with mode
//! 0600 inside a 0700 directory and replaced atomically. Getting a token is
//! [`super::rest`]'s, deciding which to use [`super::driver`]'s.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sapa_protocol::{Secret, Username};
use serde::{Deserialize, Serialize};

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
}
