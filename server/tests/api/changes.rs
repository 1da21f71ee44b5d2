//! Editing, deleting and searching, as users do it: over the WebSocket and
//! REST, with what others see live, after joining, and after a resume.

use sapa_protocol::{ClientKind, ErrorCode, ErrorRef, MessageView, ServerMessage};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{Client, PASSWORD, TestApp, spawn_app};

/// The next `edited` or `deleted` frame, skipping presence.
async fn next_change(client: &mut Client) -> ServerMessage {
    client
        .recv_until(|f| {
            matches!(
                f,
                ServerMessage::Edited(_) | ServerMessage::Deleted(_) | ServerMessage::Error(_)
            )
        })
        .await
}

async fn contents(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("SELECT content FROM messages ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn an_edit_and_a_delete_reach_the_room_and_later_joiners_see_the_tombstone(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut alice = app.joined("alice", "general").await;
    let mut bob = app.joined("bob", "general").await;
    let kept = bob.say("see you at 10").await;
    let secret = bob.say("the password is hunter2").await;
    alice.next_message().await;
    alice.next_message().await;

    bob.send(json!({"type": "edit", "id": kept.id, "content": "see you at 11"}))
        .await;
    let ServerMessage::Edited(edited) = next_change(&mut alice).await else {
        panic!("expected edited")
    };
    assert_eq!(
        (edited.id, edited.content.as_str()),
        (kept.id, "see you at 11")
    );
    assert!(
        edited.seq > secret.id,
        "a change comes after every message before it"
    );

    bob.send(json!({"type": "delete", "id": secret.id})).await;
    let ServerMessage::Deleted(deleted) = next_change(&mut alice).await else {
        panic!("expected deleted")
    };
    assert_eq!(deleted.id, secret.id);
    assert!(deleted.seq > edited.seq);

    // Carol, joining afterwards, sees the latest text and the tombstone.
    let mut carol = app.ws().await;
    let history = carol.join("carol", "general").await;
    let shown: Vec<(&str, bool, bool)> = history
        .messages
        .iter()
        .map(|m| (m.content.as_str(), m.edited_at.is_some(), m.deleted))
        .collect();
    assert_eq!(shown, [("see you at 11", true, false), ("", false, true)]);
    // The secret is gone from the database, not just from view.
    assert_eq!(contents(&app).await, ["see you at 11", ""]);
}

#[sqlx::test(migrations = false)]
async fn only_the_author_may_change_a_message_and_an_unknown_one_is_not_found(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut bob = app.joined("bob", "general").await;
    let message = bob.say("mine").await;
    let mut alice = app.joined("alice", "general").await;
    for frame in [
        json!({"type": "edit", "id": message.id, "content": "yours"}),
        json!({"type": "delete", "id": message.id}),
    ] {
        alice.send(frame).await;
        let error = alice.next_error().await;
        assert_eq!(error.code, ErrorCode::Forbidden);
    }
    alice
        .send(json!({"type": "edit", "id": 999_999, "content": "x"}))
        .await;
    let error = alice.next_error().await;
    assert_eq!(error.code, ErrorCode::NotFound);
    assert_eq!(error.reference, Some(ErrorRef::Frame(ClientKind::Edit)));
    // A deleted message cannot be changed again.
    bob.send(json!({"type": "delete", "id": message.id})).await;
    next_change(&mut bob).await;
    bob.send(json!({"type": "delete", "id": message.id})).await;
    assert_eq!(bob.next_error().await.code, ErrorCode::NotFound);
    assert_eq!(contents(&app).await, [""]);
}

#[sqlx::test(migrations = false)]
async fn a_client_that_was_away_gets_each_change_once_when_it_resumes(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut bob = app.joined("bob", "general").await;
    let first = bob.say("first").await;
    let second = bob.say("second").await;
    let third = bob.say("third").await;
    let mut dave = app.ws().await;
    let seen = dave.join("dave", "general").await;
    let since = seen.messages.last().unwrap().id;
    assert_eq!(since, third.id);
    dave.ws.close(None).await.unwrap();
    dave.closed().await;

    bob.send(json!({"type": "edit", "id": first.id, "content": "first, fixed"}))
        .await;
    next_change(&mut bob).await;
    bob.send(json!({"type": "delete", "id": second.id})).await;
    next_change(&mut bob).await;
    let after = bob.say("fourth").await;

    let mut dave = app.ws().await;
    dave.send(json!({"type": "join", "username": "dave", "password": PASSWORD, "since_id": since}))
        .await;
    let mut frames = Vec::new();
    loop {
        let frame = dave.recv().await;
        let done = matches!(frame, ServerMessage::Presence(_));
        frames.push(frame);
        if done {
            break;
        }
    }
    let summary: Vec<String> = frames
        .iter()
        .map(|f| match f {
            ServerMessage::Welcome(_) => "welcome".to_owned(),
            ServerMessage::History(h) => format!("history {:?}", ids(&h.messages)),
            ServerMessage::Edited(e) => format!("edited {} {}", e.id, e.content),
            ServerMessage::Deleted(d) => format!("deleted {}", d.id),
            ServerMessage::Presence(_) => "presence".to_owned(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        summary,
        [
            "welcome".to_owned(),
            format!("history {:?}", [after.id]),
            format!("edited {} first, fixed", first.id),
            format!("deleted {}", second.id),
            "presence".to_owned(),
        ]
    );
}

fn ids(messages: &[MessageView]) -> Vec<i64> {
    messages.iter().map(|m| m.id).collect()
}

/// The ids `q` finds over REST, newest first.
async fn found(app: &TestApp, token: &str, q: &str) -> Vec<String> {
    let response = app
        .http
        .get(app.url("/search"))
        .query(&[("q", q)])
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{q}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "search_results");
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect()
}

#[sqlx::test(migrations = false)]
async fn search_finds_words_phrases_and_substrings_in_any_script_and_never_deleted_text(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let token = app.register("finder").await;
    let mut bob = app.joined("bob", "general").await;
    for line in [
        "the deploy failed on staging",
        "deploy finished in production",
        "Deployment notes are in the wiki",
        "東京で会議があります",
    ] {
        bob.say(line).await;
    }
    let gone = bob.say("deploy secret token").await;
    bob.send(json!({"type": "delete", "id": gone.id})).await;
    next_change(&mut bob).await;

    assert_eq!(
        found(&app, &token, "deploy").await,
        [
            "Deployment notes are in the wiki",
            "deploy finished in production",
            "the deploy failed on staging",
        ],
        "newest first: whole words, and the substring in Deployment; never the deleted line"
    );
    assert_eq!(
        found(&app, &token, "\"deploy failed\"").await,
        ["the deploy failed on staging"]
    );
    assert_eq!(
        found(&app, &token, "deploy -staging").await,
        ["deploy finished in production"]
    );
    assert_eq!(
        found(&app, &token, "会議").await,
        Vec::<String>::new(),
        "two characters are too few"
    );
    assert_eq!(
        found(&app, &token, "で会議").await,
        ["東京で会議があります"]
    );
    assert_eq!(found(&app, &token, "secret").await, Vec::<String>::new());

    // The same over the WebSocket, paged.
    bob.send(json!({"type": "search", "q": "deploy", "limit": 2}))
        .await;
    let page = bob
        .recv_until(|f| matches!(f, ServerMessage::SearchResults(_)))
        .await;
    let ServerMessage::SearchResults(page) = page else {
        unreachable!()
    };
    assert_eq!(page.messages.len(), 2);
    assert!(page.has_more);
    let last = page.messages.last().unwrap().id;
    bob.send(json!({"type": "search", "q": "deploy", "before_id": last}))
        .await;
    let rest = bob
        .recv_until(|f| matches!(f, ServerMessage::SearchResults(_)))
        .await;
    let ServerMessage::SearchResults(rest) = rest else {
        unreachable!()
    };
    assert_eq!(rest.messages.len(), 1);
    assert!(!rest.has_more);

    // An edited message is found by its new text only.
    let failed = rest.messages[0].id;
    bob.send(json!({"type": "edit", "id": failed, "content": "the rollout failed on staging"}))
        .await;
    next_change(&mut bob).await;
    assert_eq!(
        found(&app, &token, "rollout").await,
        ["the rollout failed on staging"]
    );
    assert_eq!(
        found(&app, &token, "deploy").await,
        [
            "Deployment notes are in the wiki",
            "deploy finished in production"
        ]
    );
}

#[sqlx::test(migrations = false)]
async fn rest_edits_and_deletes_own_messages_and_refuses_others(pool: PgPool) {
    let app = spawn_app(pool).await;
    let bob_token = app.register("bob").await;
    let alice_token = app.register("alice").await;
    let mut watcher = app.joined("watcher", "general").await;
    let posted: Value = app
        .http
        .post(app.url("/messages"))
        .bearer_auth(&bob_token)
        .json(&json!({"content": "typo hre"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = posted["id"].as_i64().unwrap();
    watcher.next_message().await;
    let patch = |token: &str, content: &str| {
        app.http
            .patch(app.url(&format!("/messages/{id}")))
            .bearer_auth(token.to_owned())
            .json(&json!({"content": content}))
            .send()
    };
    assert_eq!(patch(&alice_token, "mine now").await.unwrap().status(), 403);
    assert_eq!(patch(&bob_token, "  ").await.unwrap().status(), 422);
    let edited = patch(&bob_token, "typo here").await.unwrap();
    assert_eq!(edited.status(), 200);
    let edited: Value = edited.json().await.unwrap();
    assert_eq!(edited["content"], "typo here");
    assert!(edited["edited_at"].is_string());
    assert!(matches!(
        next_change(&mut watcher).await,
        ServerMessage::Edited(_)
    ));

    let delete = |token: &str| {
        app.http
            .delete(app.url(&format!("/messages/{id}")))
            .bearer_auth(token.to_owned())
            .send()
    };
    assert_eq!(delete(&alice_token).await.unwrap().status(), 403);
    assert_eq!(delete(&bob_token).await.unwrap().status(), 204);
    assert_eq!(
        delete(&bob_token).await.unwrap().status(),
        404,
        "gone already"
    );
    assert!(matches!(
        next_change(&mut watcher).await,
        ServerMessage::Deleted(_)
    ));
    let unknown = app
        .http
        .delete(app.url("/messages/424242"))
        .bearer_auth(&bob_token)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
}
