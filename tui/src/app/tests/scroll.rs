//! Scrolling: the view holds still while new messages arrive below it,
//! and older history loads as it is needed.

use super::*;

fn busy(n: i64) -> State {
    let msgs = (1..=n)
        .map(|i| msg(i, "bob", &format!("message {i}")))
        .collect();
    let mut s = online(msgs, &["alice", "bob"]);
    // The initial history said nothing older exists unless told otherwise.
    s.update(Event::Resize(Size::new(80, 24)));
    s
}

#[test]
fn scrolling_up_holds_the_view_and_counts_new_messages() {
    let mut s = busy(60);
    s.update(key(KeyCode::PageUp));
    let scrolled = s.room().scroll;
    assert!(scrolled > 0);
    frame(&mut s, ServerMessage::Message(msg(61, "bob", "new one")));
    frame(&mut s, ServerMessage::Message(msg(62, "bob", "another")));
    assert_eq!(s.room().unseen, 2);
    assert_eq!(s.room().scroll, scrolled + 2, "the view did not move");
    // End at the end of an empty input line jumps to the newest.
    s.update(key(KeyCode::End));
    assert_eq!((s.room().scroll, s.room().unseen), (0, 0));
}

#[test]
fn new_messages_at_the_bottom_are_not_counted_as_waiting() {
    let mut s = busy(5);
    frame(&mut s, ServerMessage::Message(msg(6, "bob", "x")));
    assert_eq!((s.room().scroll, s.room().unseen), (0, 0));
}

#[test]
fn page_down_and_the_wheel_scroll_back() {
    let mut s = busy(60);
    s.update(Event::Wheel(Wheel::Up));
    assert_eq!(s.room().scroll, 3);
    s.update(Event::Wheel(Wheel::Down));
    assert_eq!(s.room().scroll, 0);
    s.update(key(KeyCode::PageUp));
    s.update(key(KeyCode::PageUp));
    s.update(key(KeyCode::PageDown));
    s.update(key(KeyCode::PageDown));
    assert_eq!(s.room().scroll, 0);
}

#[test]
fn scrolling_past_the_oldest_fetches_older_history() {
    let msgs = (51..=100)
        .map(|i| msg(i, "bob", &format!("m{i}")))
        .collect();
    let mut s = client();
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome("general"));
    frame(&mut s, history("general", msgs, true));
    let mut fx = Vec::new();
    for _ in 0..10 {
        fx.extend(s.update(key(KeyCode::PageUp)));
    }
    let requests: Vec<_> = sent(&fx);
    assert_eq!(requests.len(), 1, "one request in flight at a time");
    let ClientMessage::History(h) = requests[0] else {
        panic!()
    };
    assert_eq!(h.before_id, Some(51));
    assert!(s.room().fetching_older());
    let before = s.room().scroll;
    let older = (1..=50).map(|i| msg(i, "bob", &format!("m{i}"))).collect();
    frame(&mut s, history("general", older, false));
    assert_eq!(shown_ids(&s), (1..=100).collect::<Vec<_>>());
    assert!(!s.room().has_older());
    assert_eq!(s.room().scroll, before, "prepending keeps the view");
}

#[test]
fn a_room_that_does_not_fill_the_screen_loads_older_history_by_itself() {
    let mut s = client();
    s.update(Event::Resize(Size::new(100, 60)));
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome("general"));
    let page = |from: i64| (from..from + 10).map(|i| msg(i, "bob", "x")).collect();
    let fx = frame(&mut s, history("general", page(91), true));
    let ClientMessage::History(h) = sent(&fx)[0] else {
        panic!("{fx:?}")
    };
    assert_eq!(h.before_id, Some(91));
    let fx = frame(&mut s, history("general", page(81), true));
    assert_eq!(sent(&fx).len(), 1, "still short: the next page");
    // Enough to fill the pane: no more requests.
    let many = (1..=80).map(|i| msg(i, "bob", "x")).collect();
    let fx = frame(&mut s, history("general", many, true));
    assert!(sent(&fx).is_empty(), "{fx:?}");
}
