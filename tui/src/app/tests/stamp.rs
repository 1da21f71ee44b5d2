//! The time format of the config file: what a row starts with, where a
//! wrapped message continues, and which formats are refused.

use super::*;
use crate::app::layout::Row;
use crate::app::stamp::TimeFormat;

fn text(row: &Row) -> String {
    row.iter().map(|seg| seg.text.as_str()).collect()
}

fn rows_with(format: &str, messages: Vec<sapa_protocol::MessageView>) -> Vec<String> {
    let mut s = online(messages, &[]);
    s.prefs.time_format = TimeFormat::parse(format).unwrap();
    s.update(Event::Resize(Size::new(40, 12)));
    s.layout().last_rows(4).iter().map(text).collect()
}

#[test]
fn the_default_format_is_hours_and_minutes() {
    let rows = rows_with("%H:%M", vec![msg(1, "bob", "hi")]);
    assert!(rows.contains(&"10:01 bob hi".to_owned()), "{rows:#?}");
}

#[test]
fn a_format_with_seconds_writes_them_and_indents_under_the_name() {
    let long = "a message long enough to wrap onto a second row";
    let rows = rows_with("%H:%M:%S", vec![msg(1, "bob", long)]);
    let at = rows
        .iter()
        .position(|r| r.starts_with("10:01:00 bob a"))
        .unwrap();
    assert!(
        rows[at + 1].starts_with("         ") && !rows[at + 1].starts_with("          "),
        "continues after 9 columns: {rows:#?}"
    );
}

#[test]
fn a_pending_message_keeps_its_dots_under_the_time() {
    let mut s = online(vec![], &[]);
    s.prefs.time_format = TimeFormat::parse("[%H:%M:%S]").unwrap();
    type_line(&mut s, "on my way");
    let rows: Vec<String> = s.layout().last_rows(1).iter().map(text).collect();
    assert_eq!(rows, vec!["    ⋯      alice on my way"]);
}

#[test]
fn formats_that_do_not_parse_or_do_not_fit_are_refused() {
    assert!(TimeFormat::parse("%Q").is_err());
    let wide = TimeFormat::parse("%A %d %B %Y %H:%M:%S").unwrap_err();
    assert!(wide.contains("columns"), "{wide}");
    assert_eq!(TimeFormat::parse("%d.%m. %H:%M").unwrap().width(), 12);
}
