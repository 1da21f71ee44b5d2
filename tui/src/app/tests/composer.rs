//! The composer against the server's limits (`welcome.limits`): how many
//! characters are left near the limit, and a line over it refused here.

use super::*;
use crate::app::composer::{Budget, budget};

fn limited(max: u32) -> State {
    let mut s = client();
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome_with("general", 0, max));
    frame(&mut s, history("general", vec![], false));
    s
}

#[test]
fn the_servers_limit_is_what_the_composer_counts() {
    let mut s = limited(50);
    for c in "x".repeat(46).chars() {
        s.update(key(KeyCode::Char(c)));
    }
    assert_eq!(budget(s.input.text(), s.limits.as_ref()), Budget::Left(4));
    let fx = type_line(&mut s, "xxxxxx");
    assert!(
        !sent(&fx)
            .iter()
            .any(|m| matches!(m, ClientMessage::Message(_))),
        "refused here: {fx:?}"
    );
    assert_eq!(
        last_notice(&s),
        "not sent: 2 characters over the server's limit of 50; the line is still in the composer"
    );
    assert_eq!(s.input.text(), "x".repeat(52));
    // Cut to fit, it goes.
    s.update(key(KeyCode::Backspace));
    s.update(key(KeyCode::Backspace));
    let fx = s.update(key(KeyCode::Enter));
    assert!(
        sent(&fx)
            .iter()
            .any(|m| matches!(m, ClientMessage::Message(_)))
    );
}

#[test]
fn a_limit_turned_off_counts_nothing() {
    let mut s = limited(0);
    let fx = type_line(&mut s, &"y".repeat(300));
    assert!(
        sent(&fx)
            .iter()
            .any(|m| matches!(m, ClientMessage::Message(_)))
    );
}
