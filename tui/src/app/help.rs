//! Every text that lists keys and commands, generated from the keymap
//! ([`super::keymap`]): the help overlay's table and its short form, the
//! paragraph of `sapa --help` about the client, the README's tables
//! (which a test compares with the README itself), and the overlay's rows
//! as a config file changed them. Words only: drawing the
//! overlay is [`crate::view`]'s.

use super::bindings::{ACTIONS, Keymap, action_name, chord_label};
use super::keymap::{Action, COMMANDS, Doc, KEYMAP, LITERAL_SLASH, Scope};
use super::layout::wrap;

/// Width `sapa --help`'s paragraphs are wrapped to.
const CLI_WIDTH: usize = 78;

fn on_chat_screen(scope: Scope) -> bool {
    matches!(scope, Scope::Chat | Scope::Everywhere)
}

/// The help overlay's rows: the chat screen's keys, then the commands.
pub fn overlay() -> Vec<Doc> {
    let keys = KEYMAP
        .iter()
        .filter(|b| on_chat_screen(b.scope))
        .filter_map(|b| b.help);
    keys.chain(COMMANDS.iter().filter_map(|c| c.help)).collect()
}

/// The overlay's short forms, for a terminal too small for the table.
pub fn overlay_short() -> Vec<Doc> {
    let keys = KEYMAP
        .iter()
        .filter(|b| on_chat_screen(b.scope))
        .filter_map(|b| b.short);
    keys.chain(COMMANDS.iter().filter_map(|c| c.short))
        .collect()
}

/// The help overlay's rows for the keys in force: a row of the table
/// whose actions all keep their default keys, as the table words it; for
/// a row with an action whose keys a config file changed (given other
/// keys, or had its keys taken by another action), a row per action with
/// its keys now; then the commands.
pub fn overlay_for(keymap: &Keymap) -> Vec<(String, String)> {
    let defaults = Keymap::default();
    let mut rows = Vec::new();
    for binding in KEYMAP.iter().filter(|b| on_chat_screen(b.scope)) {
        let mut actions: Vec<Action> = Vec::new();
        for (_, action) in binding.keys {
            if !actions.contains(action) {
                actions.push(*action);
            }
        }
        let changed = actions
            .iter()
            .any(|a| keymap.keys_of(*a) != defaults.keys_of(*a));
        if changed {
            for action in actions {
                let keys: Vec<String> = keymap
                    .keys_of(action)
                    .into_iter()
                    .map(chord_label)
                    .collect();
                let keys = if keys.is_empty() {
                    "(no key)".to_owned()
                } else {
                    keys.join(", ")
                };
                let name = action_name(action).unwrap_or("?").replace('_', " ");
                rows.push((keys, format!("{name} (config.toml)")));
            }
        } else if let Some(doc) = binding.help {
            rows.push((doc.keys.to_owned(), doc.what.to_owned()));
        }
    }
    let commands = COMMANDS.iter().filter_map(|c| c.help);
    rows.extend(commands.map(|d| (d.keys.to_owned(), d.what.to_owned())));
    rows
}

/// The paragraph of `sapa --help` that names the most used keys and every
/// command.
pub fn cli_summary() -> String {
    let keys: Vec<&str> = KEYMAP.iter().filter_map(|b| b.brief).collect();
    let sentence = format!("In the client: {}.", keys.join(", "));
    let usages: Vec<&str> = COMMANDS.iter().map(|c| c.usage).collect();
    let mut lines = wrap(&sentence, CLI_WIDTH, CLI_WIDTH);
    lines.push(format!("Commands: {}.", usages.join(", ")));
    lines.join("\n")
}

/// The README's table of keys, as Markdown.
pub fn readme_keys() -> String {
    let rows = KEYMAP.iter().filter_map(|b| b.readme);
    table("key", rows.map(|d| (d.keys.to_owned(), d.what)))
}

/// The README's table of the action names a config file binds keys to,
/// with their default keys, as Markdown.
pub fn readme_actions() -> String {
    let keymap = Keymap::default();
    let rows = ACTIONS.iter().map(|(name, action)| {
        let keys: Vec<String> = keymap
            .keys_of(*action)
            .into_iter()
            .map(chord_label)
            .collect();
        (format!("`{name}`"), keys.join(", "))
    });
    let mut out = "| action | default keys |\n| --- | --- |\n".to_owned();
    for (name, keys) in rows {
        out.push_str(&format!("| {name} | {keys} |\n"));
    }
    out
}

/// The README's table of commands, as Markdown.
pub fn readme_commands() -> String {
    let rows = COMMANDS
        .iter()
        .map(|c| (format!("`{}`", c.usage), c.readme));
    let literal = (
        format!("`{LITERAL_SLASH}text`"),
        "send a line that starts with `/`",
    );
    table("command", rows.chain([literal]))
}

fn table(first: &str, rows: impl Iterator<Item = (String, &'static str)>) -> String {
    let mut out = format!("| {first} | does |\n| --- | --- |\n");
    for (keys, what) in rows {
        out.push_str(&format!("| {keys} | {what} |\n"));
    }
    out
}
