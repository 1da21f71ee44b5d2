//! The command line as a user meets it: shell completions and the man page
//! generated from it, `--color`, and which values count as given by a flag
//! (so that the config file ranks below them).

use clap::{CommandFactory, FromArgMatches};
use clap_complete::Shell;

use super::*;

fn completions(shell: Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "sapa", &mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn completions_know_every_subcommand_and_the_color_choices() {
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let script = completions(shell);
        for word in [
            "send",
            "tail",
            "config",
            "completions",
            "man",
            "server",
            "color",
            "never",
            "always",
        ] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
    }
    assert!(completions(Shell::Bash).contains("complete -F _sapa"));
    assert!(completions(Shell::Zsh).starts_with("#compdef sapa"));
    assert!(completions(Shell::Fish).contains("complete -c sapa"));
}

#[test]
fn man_dir_writes_a_page_per_subcommand() {
    let dir = std::env::temp_dir().join(format!("sapa-man-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(write_man_pages(&dir), ExitCode::SUCCESS);
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "sapa-completions.1",
            "sapa-config-init.1",
            "sapa-config-show.1",
            "sapa-config.1",
            "sapa-man.1",
            "sapa-send.1",
            "sapa-tail.1",
            "sapa.1"
        ]
    );
    let main_page = std::fs::read_to_string(dir.join("sapa.1")).unwrap();
    assert!(main_page.contains(".SH FILES"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_man_page_has_options_commands_files_and_environment() {
    let page = man_page();
    assert!(
        page.starts_with(".ie \\n(.g .ds Aq"),
        "roff: {}",
        &page[..80]
    );
    for section in [
        ".TH sapa 1",
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH OPTIONS",
        ".SH SUBCOMMANDS",
        ".SH FILES",
        ".SH ENVIRONMENT",
    ] {
        assert!(page.contains(section), "no {section}");
    }
    for word in [
        "\\-\\-color",
        "config.toml",
        "NO_COLOR",
        "sapa\\-completions",
    ] {
        assert!(page.contains(word), "no {word}");
    }
    assert!(!page.contains("sapa\\-help"), "help has no page");
}

fn parse(args: &[&str]) -> (Cli, ArgMatches) {
    let matches = Cli::command().try_get_matches_from(args).unwrap();
    (Cli::from_arg_matches(&matches).unwrap(), matches)
}

#[test]
fn only_values_typed_as_flags_count_as_flags() {
    let (cli, matches) = parse(&["sapa", "--room", "rust", "--color", "never", "tail"]);
    let (flags, _) = given(&cli, &matches);
    assert_eq!(flags.room.as_deref(), Some("rust"));
    assert_eq!(flags.color, Some(ColorChoice::Never));
    assert_eq!(
        flags.server, None,
        "the default is not a flag: the file may set it"
    );
    let (cli, matches) = parse(&["sapa", "config", "show"]);
    let (flags, _) = given(&cli, &matches);
    assert_eq!(flags.room, None);
    assert!(matches!(
        cli.command,
        Some(Command::Config {
            action: ConfigAction::Show
        })
    ));
}

#[test]
fn color_takes_never_auto_or_always() {
    assert!(
        Cli::command()
            .try_get_matches_from(["sapa", "--color", "sometimes"])
            .is_err()
    );
    let (cli, _) = parse(&["sapa", "--color", "always"]);
    assert_eq!(cli.color, Some(ColorChoice::Always));
}
