//! The login screen's form: a name and a masked password, which field has
//! the cursor, the error to show, and whether a login is in flight. Keys
//! reach it as [`Action`]s from the keymap; a complete form comes back as
//! the name and password to log in with, which the state machine turns
//! into a login effect.

use sapa_protocol::{Secret, Username};

use super::editor::LineEditor;
use super::keymap::{self, Action, Scope};
use super::keys::{Key, KeyCode};

/// Which login field has the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginField {
    Username,
    Password,
}

/// The login screen: name and masked password. `Debug` leaves the
/// password out.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginForm {
    pub username: LineEditor,
    pub password: LineEditor,
    pub focus: LoginField,
    pub error: Option<String>,
    /// A login request is in flight.
    pub busy: bool,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("username", &self.username.text())
            .field("password", &"***")
            .field("focus", &self.focus)
            .field("error", &self.error)
            .field("busy", &self.busy)
            .finish()
    }
}

impl LoginForm {
    /// A form for `user`, with the cursor on the password and `error` (why
    /// the password is asked for) shown, if any.
    pub fn new(user: &Username, error: Option<String>) -> Self {
        let mut username = LineEditor::new();
        username.insert_str(user.as_str());
        Self {
            username,
            password: LineEditor::new(),
            focus: LoginField::Password,
            error,
            busy: false,
        }
    }

    fn field(&mut self) -> &mut LineEditor {
        match self.focus {
            LoginField::Username => &mut self.username,
            LoginField::Password => &mut self.password,
        }
    }

    /// Pasted text goes into the focused field.
    pub fn paste(&mut self, text: &str) {
        self.field().insert_str(text);
    }

    /// The login failed: say why and ask for the password again.
    pub fn failed(&mut self, why: String) {
        self.busy = false;
        self.error = Some(why);
        self.password.clear();
        self.focus = LoginField::Password;
    }

    /// Handles a key; returns the name and password to log in with once
    /// Enter completes the form. Keys do nothing while a login is in
    /// flight.
    pub fn on_key(&mut self, key: Key) -> Option<(Username, Secret)> {
        if self.busy {
            return None;
        }
        match keymap::action(Scope::Login, key) {
            Some(Action::SwitchField) => {
                self.focus = match self.focus {
                    LoginField::Username => LoginField::Password,
                    LoginField::Password => LoginField::Username,
                };
            }
            Some(Action::SignIn) => return self.sign_in(),
            Some(Action::DismissError) => self.error = None,
            Some(Action::Edit(edit)) => self.field().edit(edit),
            Some(_) => {}
            None => {
                if let KeyCode::Char(c) = key.code
                    && !key.ctrl
                {
                    self.field().insert_char(c);
                }
            }
        }
        None
    }

    /// Enter: a valid name and a password sign in; otherwise the cursor
    /// goes where something is missing.
    fn sign_in(&mut self) -> Option<(Username, Secret)> {
        let name = self.username.text().trim().to_owned();
        let user = match Username::parse(name) {
            Ok(user) => user,
            Err(e) => {
                self.error = Some(e.to_string());
                self.focus = LoginField::Username;
                return None;
            }
        };
        if self.focus == LoginField::Username || self.password.is_empty() {
            self.focus = LoginField::Password;
            if self.password.is_empty() {
                return None;
            }
        }
        self.busy = true;
        self.error = None;
        Some((user, Secret::new(self.password.text())))
    }
}
