//! `/search`'s overlay: results open it, Up/Down choose, Esc closes, and
//! Enter jumps to the message in its room, loading older pages until the
//! room holds it.

use sapa_protocol::{HistoryRequest, SearchResults};

use super::*;

fn results(messages: Vec<sapa_protocol::MessageView>, has_more: bool) -> ServerMessage {
    ServerMessage::SearchResults(SearchResults {
        q: "deploy".to_owned(),
        messages,
        has_more,
    })
}

fn many(from: i64, to: i64) -> Vec<sapa_protocol::MessageView> {
    (from..=to)
        .map(|i| msg(i, "bob", &format!("line {i}")))
        .collect()
}

#[test]
fn results_open_the_overlay_and_esc_closes_it_with_nothing_sent() {
    let mut s = online(many(1, 3), &["alice", "bob"]);
    frame(
        &mut s,
        results(
            vec![msg(3, "bob", "deploy done"), msg(1, "bob", "deploy?")],
            false,
        ),
    );
    let Screen::Search(found) = &s.screen else {
        panic!("{:?}", s.screen)
    };
    assert_eq!(found.messages.len(), 2);
    s.update(key(KeyCode::Down));
    s.update(key(KeyCode::Down));
    let Screen::Search(found) = &s.screen else {
        panic!()
    };
    assert_eq!(found.selected, 1, "stops at the last");
    let fx = s.update(key(KeyCode::Esc));
    assert!(sent(&fx).is_empty());
    assert_eq!(s.screen, Screen::Chat);
}

#[test]
fn no_results_say_so_without_an_overlay() {
    let mut s = online(vec![], &["alice"]);
    frame(&mut s, results(vec![], false));
    assert_eq!(s.screen, Screen::Chat);
    assert_eq!(last_notice(&s), "no messages match \"deploy\"");
}

#[test]
fn enter_on_a_result_in_a_room_not_on_screen_switches_there_and_marks_it() {
    let mut s = online(many(1, 60), &["alice", "bob"]);
    type_line(&mut s, "/join ops");
    frame(&mut s, welcome("ops"));
    frame(
        &mut s,
        history("ops", vec![msg_in("ops", 70, "bob", "ops line")], false),
    );
    s.switch_to(0);
    frame(&mut s, results(vec![msg(10, "bob", "line 10")], false));
    s.update(key(KeyCode::Enter));
    assert_eq!(s.room().name.as_str(), "general");
    assert_eq!(s.room().marked, Some(10));
    assert!(s.room().scroll > 0, "scrolled up to it");
    let shown: Vec<String> = s
        .layout()
        .last_rows(s.total_rows())
        .iter()
        .map(|row| row.iter().map(|seg| seg.text.as_str()).collect())
        .collect();
    let at = shown.iter().position(|r| r.ends_with("line 10")).unwrap();
    let h = usize::from(crate::app::layout::areas(s.size).messages.height);
    let top = shown.len() - s.room().scroll - h;
    assert!((top..top + h).contains(&at), "line 10 is on screen");
}

#[test]
fn a_result_older_than_the_room_holds_loads_pages_until_it_is_there() {
    let mut s = client();
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome("general"));
    frame(&mut s, history("general", many(101, 150), true));
    frame(&mut s, results(vec![msg(20, "bob", "line 20")], true));
    let fx = s.update(key(KeyCode::Enter));
    assert!(matches!(
        sent(&fx)[..],
        [ClientMessage::History(HistoryRequest {
            before_id: Some(101),
            ..
        })]
    ));
    let fx = frame(&mut s, history("general", many(51, 100), true));
    assert!(matches!(
        sent(&fx)[..],
        [ClientMessage::History(HistoryRequest {
            before_id: Some(51),
            ..
        })]
    ));
    frame(&mut s, history("general", many(1, 50), false));
    assert_eq!(s.room().marked, Some(20));
    assert_eq!(shown_ids(&s), (1..=150).collect::<Vec<_>>(), "no gap");
}
