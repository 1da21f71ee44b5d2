//! From [`Settings`] to what a run needs: the chat screen's theme, keys
//! and notifications ([`chat`]), and the `sapa config` subcommands
//! ([`show`], [`init`]). Resolving the settings themselves is
//! [`crate::config`]'s.

use std::process::ExitCode;

use super::notify;
use super::terminal::ChatSetup;
use crate::client::tokens::TokenStore;
use crate::config::template::{self, Init};
use crate::config::{Settings, config_path};

/// What the chat screen runs with, for this terminal (`$TERM`, and the
/// variables that say which notifications it shows).
pub fn chat(settings: &Settings) -> ChatSetup {
    let term = std::env::var("TERM").ok();
    let colour = settings.colour(term.as_deref());
    ChatSetup {
        theme: settings.theme(colour),
        prefs: settings.prefs(),
        desktop: notify::resolve(settings.desktop.value, |k| std::env::var(k).ok()),
        warnings: settings.file.warning().into_iter().collect(),
    }
}

/// `sapa config show`'s text.
pub fn show(settings: &Settings) -> String {
    let password = std::env::var("SAPA_PASSWORD").is_ok_and(|p| !p.is_empty());
    let tokens = TokenStore::default_location().map(|s| s.path().to_owned());
    settings.show(password, tokens)
}

/// `sapa config init`: writes the commented default file, never over one
/// that is there.
pub fn init() -> ExitCode {
    let Some(path) = config_path() else {
        eprintln!("sapa: this system has no config directory; set SAPA_CONFIG_DIR");
        return ExitCode::FAILURE;
    };
    match template::init(&path) {
        Ok(Init::Written) => {
            println!("wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Ok(Init::Exists) => {
            eprintln!(
                "sapa: {} is there already; left as it is (`sapa config show` checks it)",
                path.display()
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("sapa: cannot write {}: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}
