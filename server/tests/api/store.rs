//! The store against real PostgreSQL, without a server: the batched insert
//! the writer relies on (order, ids, retried client_ids), and search before
//! and after the indexer has copied a message.

use sapa_protocol::{ClientId, RoomName, Username};
use sapa_server::store::{INDEX_BATCH, NewMessage, Store, StoredMessage};
use sqlx::PgPool;

struct Fixture {
    pool: PgPool,
    store: Store,
    general: (i64, RoomName),
    other: (i64, RoomName),
    alice: (i64, Username),
    bob: (i64, Username),
}

async fn fixture(pool: PgPool) -> Fixture {
    let store = Store::from_pool(pool.clone());
    store.migrate().await.unwrap();
    let user = |name: &str| {
        let store = store.clone();
        let name: Username = name.parse().unwrap();
        async move {
            let user = store
                .create_user(&name, "not a hash")
                .await
                .unwrap()
                .unwrap();
            (user.id, user.username)
        }
    };
    let room = |name: &str| {
        let store = store.clone();
        let name: RoomName = name.parse().unwrap();
        async move { (store.ensure_room(&name).await.unwrap(), name) }
    };
    Fixture {
        general: room("general").await,
        other: room("other").await,
        alice: user("alice").await,
        bob: user("bob").await,
        store,
        pool,
    }
}

/// Any user reads public rooms: the search tests need no account.
const PUBLIC_READER: i64 = 0;

fn message(
    room: &(i64, RoomName),
    user: &(i64, Username),
    content: &str,
    client_id: Option<&str>,
) -> NewMessage {
    NewMessage {
        room_id: room.0,
        room: room.1.clone(),
        user_id: user.0,
        username: user.1.clone(),
        content: content.parse().unwrap(),
        client_id: client_id.map(|c| ClientId::parse(c.to_owned()).unwrap()),
        to: None,
    }
}

fn contents(outcomes: &[StoredMessage]) -> Vec<&str> {
    outcomes.iter().map(|o| o.view.content.as_str()).collect()
}

#[sqlx::test(migrations = false)]
async fn a_batch_of_fresh_repeated_and_retried_sends_answers_each_in_input_order(pool: PgPool) {
    let f = fixture(pool).await;
    let (general, alice, bob) = (&f.general, &f.alice, &f.bob);
    let before = f
        .store
        .insert_messages(&[message(general, alice, "earlier", Some("c-1"))])
        .await
        .unwrap()
        .stored;
    let earlier = &before[0].view;

    let batch = [
        message(general, alice, "one", None),
        message(general, alice, "two", Some("c-2")),
        message(general, bob, "three", Some("c-2")),
        message(general, alice, "two again", Some("c-2")),
        message(general, alice, "earlier again", Some("c-1")),
        message(general, alice, "four", Some("c-4")),
        message(general, alice, "earlier once more", Some("c-1")),
    ];
    let outcomes = f.store.insert_messages(&batch).await.unwrap().stored;

    let fresh: Vec<bool> = outcomes.iter().map(|o| o.fresh).collect();
    assert_eq!(fresh, [true, true, true, false, false, true, false]);
    assert_eq!(
        contents(&outcomes),
        ["one", "two", "three", "two", "earlier", "four", "earlier"],
        "a repeat is answered with what was stored for its client_id"
    );
    let ids: Vec<i64> = outcomes.iter().map(|o| o.view.id).collect();
    assert!(earlier.id < ids[0] && ids[0] < ids[1] && ids[1] < ids[2] && ids[2] < ids[5]);
    assert_eq!(
        ids[3], ids[1],
        "bob's c-2 is his own; alice's repeat is her first"
    );
    assert_eq!(ids[4], earlier.id);
    assert_eq!(ids[6], earlier.id);
    assert_eq!(outcomes[2].view.username.as_str(), "bob");

    let (stored, _) = f.store.history_after(general.0, 0, 100).await.unwrap();
    let stored: Vec<(i64, &str)> = stored.iter().map(|m| (m.id, m.content.as_str())).collect();
    assert_eq!(
        stored,
        [
            (earlier.id, "earlier"),
            (ids[0], "one"),
            (ids[1], "two"),
            (ids[2], "three"),
            (ids[5], "four"),
        ],
        "each message stored once, in the order sent"
    );
}

#[sqlx::test(migrations = false)]
async fn a_retry_naming_another_room_gets_the_original(pool: PgPool) {
    let f = fixture(pool).await;
    let first = f
        .store
        .insert_messages(&[message(&f.general, &f.alice, "hello", Some("c-9"))])
        .await
        .unwrap()
        .stored;
    let retried = f
        .store
        .insert_messages(&[
            message(&f.other, &f.alice, "hello, elsewhere", Some("c-9")),
            message(&f.other, &f.alice, "new", Some("c-10")),
        ])
        .await
        .unwrap()
        .stored;
    assert!(!retried[0].fresh);
    assert_eq!(retried[0].view.id, first[0].view.id);
    assert_eq!(retried[0].view.room.as_str(), "general");
    assert_eq!(retried[0].view.content.as_str(), "hello");
    assert!(retried[1].fresh);
    let (in_other, _) = f.store.history_after(f.other.0, 0, 100).await.unwrap();
    assert_eq!(contents_of(&in_other), ["new"]);
}

fn contents_of(views: &[sapa_protocol::MessageView]) -> Vec<&str> {
    views.iter().map(|m| m.content.as_str()).collect()
}

#[sqlx::test(migrations = false)]
async fn ids_rise_in_input_order_across_a_large_batch(pool: PgPool) {
    let f = fixture(pool).await;
    let batch: Vec<NewMessage> = (0..500)
        .map(|n| {
            let user = if n % 3 == 0 { &f.bob } else { &f.alice };
            let client_id = format!("k-{n}");
            message(&f.general, user, &format!("m{n}"), Some(client_id.as_str()))
        })
        .collect();
    let outcomes = f.store.insert_messages(&batch).await.unwrap().stored;
    assert!(outcomes.iter().all(|o| o.fresh));
    assert!(outcomes.windows(2).all(|w| w[0].view.id < w[1].view.id));
    for (n, outcome) in outcomes.iter().enumerate() {
        assert_eq!(outcome.view.content.as_str(), format!("m{n}"));
    }
}

#[sqlx::test(migrations = false)]
async fn the_batched_insert_draws_ids_from_the_columns_own_sequence(pool: PgPool) {
    // The insert names the sequence itself; it must be the one the
    // bigserial column owns, or ids would come from two places.
    let f = fixture(pool).await;
    let sequence: String = sqlx::query_scalar("SELECT pg_get_serial_sequence('messages', 'id')")
        .fetch_one(&f.pool)
        .await
        .unwrap();
    assert_eq!(sequence, "public.messages_id_seq");
}

#[sqlx::test(migrations = false)]
async fn search_finds_a_message_the_moment_it_is_stored_and_the_same_once_indexed(pool: PgPool) {
    let f = fixture(pool).await;
    let batch = [
        message(&f.general, &f.alice, "the deploy failed", None),
        message(&f.other, &f.bob, "deploy again tomorrow", None),
        message(&f.general, &f.bob, "lunch?", None),
    ];
    let stored = f.store.insert_messages(&batch).await.unwrap().stored;
    let query = "deploy".parse().unwrap();
    let search = |room: Option<RoomName>| {
        let (store, query) = (f.store.clone(), &query);
        async move {
            let (found, _) = store
                .search(PUBLIC_READER, query, room.as_ref(), None, 20)
                .await
                .unwrap();
            found
                .iter()
                .map(|m| m.content.as_str().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let copied = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM message_search")
            .fetch_one(&f.pool)
            .await
            .unwrap()
    };

    // Not indexed yet: found where it is stored.
    assert_eq!(copied().await, 0);
    assert_eq!(
        search(None).await,
        ["deploy again tomorrow", "the deploy failed"]
    );
    assert_eq!(
        search(Some(f.general.1.clone())).await,
        ["the deploy failed"]
    );

    // Indexed: found through the copy, the same.
    assert_eq!(f.store.index_batch(2).await.unwrap(), 2);
    assert_eq!(
        search(None).await,
        ["deploy again tomorrow", "the deploy failed"],
        "half indexed: some found in the copy, the rest where they are stored"
    );
    assert_eq!(f.store.index_batch(2).await.unwrap(), 1, "all caught up");
    assert_eq!(copied().await, 3);
    assert_eq!(
        search(None).await,
        ["deploy again tomorrow", "the deploy failed"]
    );

    // A delete takes the copy with it.
    f.store
        .delete_message(stored[1].view.id, f.bob.0)
        .await
        .unwrap();
    assert_eq!(copied().await, 2);
    assert_eq!(search(None).await, ["the deploy failed"]);
}

#[sqlx::test(migrations = false)]
async fn an_indexer_run_reads_only_the_messages_stored_after_its_mark(pool: PgPool) {
    let f = fixture(pool).await;
    // Thousands of messages stored and indexed long ago, then two new ones.
    sqlx::query(
        "INSERT INTO messages (room_id, user_id, content)
         SELECT $1, $2, 'old message ' || g FROM generate_series(1, 5000) g",
    )
    .bind(f.general.0)
    .bind(f.alice.0)
    .execute(&f.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE search_progress SET indexed_up_to = (SELECT max(id) FROM messages)")
        .execute(&f.pool)
        .await
        .unwrap();
    let batch = [
        message(&f.general, &f.bob, "new one", None),
        message(&f.other, &f.bob, "new two", None),
    ];
    f.store.insert_messages(&batch).await.unwrap();
    sqlx::query("ANALYZE messages")
        .execute(&f.pool)
        .await
        .unwrap();

    // What the indexer's statement reads from `messages`, run for real and
    // rolled back: each node over the table yields the two new rows at most
    // and throws none away.
    let mut tx = f.pool.begin().await.unwrap();
    let (plan,): (serde_json::Value,) =
        sqlx::query_as(&format!("EXPLAIN (ANALYZE, FORMAT JSON) {INDEX_BATCH}"))
            .bind(2_000_i64)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    tx.rollback().await.unwrap();
    let mut nodes = Vec::new();
    plan_nodes(&plan[0]["Plan"], &mut nodes);
    let scans: Vec<_> = nodes
        .iter()
        .filter(|node| node["Relation Name"] == "messages")
        .collect();
    assert!(!scans.is_empty(), "the plan reads messages: {plan}");
    for scan in scans {
        // Rows per loop, times the loops: what the node yielded in all.
        let rows = number(scan, "Actual Rows").expect("EXPLAIN ANALYZE counts rows")
            * number(scan, "Actual Loops").expect("EXPLAIN ANALYZE counts loops");
        assert!(
            rows <= 2.0,
            "an indexer run read more than the new messages: {scan}"
        );
    }
    for node in nodes {
        for key in ["Rows Removed by Filter", "Rows Removed by Join Filter"] {
            // Absent where the node has no such filter.
            assert_eq!(
                number(node, key).unwrap_or(0.0),
                0.0,
                "an indexer run read rows only to throw them away: {node}"
            );
        }
    }
}

/// A count in a plan node (an integer, or a decimal in newer PostgreSQL).
fn number(node: &serde_json::Value, key: &str) -> Option<f64> {
    node[key].as_f64()
}

/// Every node of an EXPLAIN (FORMAT JSON) plan, `node` first.
fn plan_nodes<'a>(node: &'a serde_json::Value, out: &mut Vec<&'a serde_json::Value>) {
    out.push(node);
    for child in node["Plans"].as_array().into_iter().flatten() {
        plan_nodes(child, out);
    }
}

#[sqlx::test(migrations = false)]
async fn a_query_in_search_syntax_is_not_also_matched_as_literal_text(pool: PgPool) {
    // `-staging` excludes the word; the same characters as a substring
    // would find exactly the line it excludes.
    let f = fixture(pool).await;
    let batch = [
        message(&f.general, &f.alice, "deploy -staging was the flag", None),
        message(&f.general, &f.bob, "deploy to production", None),
    ];
    f.store.insert_messages(&batch).await.unwrap();
    let query = "deploy -staging".parse().unwrap();
    let (found, _) = f
        .store
        .search(f.alice.0, &query, None, None, 20)
        .await
        .unwrap();
    let found: Vec<_> = found.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(found, ["deploy to production"]);
}

#[sqlx::test(migrations = false)]
async fn a_nodes_presence_batch_keeps_each_users_last_change_and_others_read_it(pool: PgPool) {
    let f = fixture(pool).await;
    let name = |text: &str| -> Username { text.parse().unwrap() };
    let general = f.general.1.clone();
    assert!(f.store.beat("b").await.unwrap(), "b's first beat is new");
    f.store
        .record_presence(
            "b",
            &[
                (general.clone(), name("bob"), true),
                (general.clone(), name("carol"), true),
                (general.clone(), name("bob"), false),
                (f.other.1.clone(), name("bob"), true),
            ],
        )
        .await
        .unwrap();
    f.store
        .record_presence("b", &[(general.clone(), name("carol"), false)])
        .await
        .unwrap();
    let mut seen: Vec<(String, String, String)> = f
        .store
        .presence_elsewhere("a", 10.0)
        .await
        .unwrap()
        .into_iter()
        .map(|(node, room, user)| (node, room.to_string(), user.to_string()))
        .collect();
    seen.sort();
    assert_eq!(seen, [("b".into(), "other".into(), "bob".into())]);
    assert!(
        f.store
            .presence_elsewhere("b", 10.0)
            .await
            .unwrap()
            .is_empty(),
        "a node's own rows are not elsewhere"
    );
}
