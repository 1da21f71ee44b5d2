//! The login screen: asking for the password, masking it, refusing a bad
//! name.

use super::*;

#[test]
fn a_rejected_token_asks_for_the_password_again() {
    let mut s = client();
    s.update(Event::Net(NetEvent::Connected));
    let fx = frame(
        &mut s,
        ServerMessage::error(
            ErrorCode::Unauthorized,
            "unknown token",
            Some(ErrorRef::Frame(ClientKind::Join)),
        ),
    );
    assert_eq!(fx, vec![Effect::AuthRejected]);
    s.update(Event::LoginNeeded(Some(
        "your saved session expired".into(),
    )));
    let Screen::Login(form) = &s.screen else {
        panic!()
    };
    assert_eq!(form.username.text(), "alice");
    assert_eq!(form.focus, LoginField::Password);
}

#[test]
fn the_login_screen_masks_and_submits_the_password() {
    let mut s = client();
    s.update(Event::LoginNeeded(None));
    for c in "hunter22".chars() {
        assert!(s.update(key(KeyCode::Char(c))).is_empty());
    }
    assert!(!format!("{s:?}").contains("hunter22"), "Debug hides it");
    let fx = s.update(key(KeyCode::Enter));
    let [Effect::Login { username, password }] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(username.as_str(), "alice");
    assert_eq!(password.expose(), "hunter22");
    s.update(Event::LoginFailed("wrong password for alice".into()));
    let Screen::Login(form) = &s.screen else {
        panic!()
    };
    assert!(form.password.is_empty(), "a failed password is cleared");
    assert_eq!(form.error.as_deref(), Some("wrong password for alice"));
    s.update(Event::LoggedIn {
        user: name("alice"),
        registered: true,
    });
    assert_eq!(s.screen, Screen::Chat);
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome("general"));
    frame(&mut s, history("general", vec![msg(1, "bob", "hi")], false));
    assert_eq!(last_notice(&s), "registered alice on localhost:3000");
}

#[test]
fn the_login_screen_refuses_an_invalid_name() {
    let mut s = client();
    s.update(Event::LoginNeeded(None));
    s.update(key(KeyCode::Tab));
    s.update(ctrl('u'));
    for c in "bad name".chars() {
        s.update(key(KeyCode::Char(c)));
    }
    assert!(s.update(key(KeyCode::Enter)).is_empty());
    let Screen::Login(form) = &s.screen else {
        panic!()
    };
    assert!(form.error.as_deref().unwrap().contains("username"));
}
