-- Many nodes (DESIGN.md section 6): each node's heartbeat, and who is
-- present in which room through which node. A node writes its own rows
-- before it tells the others on the bus, so a node that starts (or whose
-- bus was cut) can read everyone's presence here and miss nothing. Rows of
-- a node whose heartbeat is 10 s old are deleted by whichever node sees it.
CREATE UNLOGGED TABLE nodes (
    node    TEXT PRIMARY KEY,
    beat_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE UNLOGGED TABLE node_presence (
    node     TEXT NOT NULL,
    room     TEXT NOT NULL,
    username TEXT NOT NULL,
    PRIMARY KEY (node, room, username)
);
